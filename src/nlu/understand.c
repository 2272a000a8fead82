/* SPDX-License-Identifier: MIT */
/*
 * understand.c - turns one transcript of a caller's turn into intents and
 * booking details (see understand.h). Everything works on the word view of
 * nlu/text.h with small phrase tables; there is no model and no heap.
 *
 * Order of the pass matters and is fixed: a date of birth, then the date or
 * time (nlu/when.h) are found first and their words set aside, so "the 14th"
 * is not read as phone digits nor "May" as a name; then phone digits; then
 * the phrase tables; names come last, from whatever words are left.
 *
 * Decisions worth knowing:
 *  - a new patient who asks for a cleaning gets service CLEANING with patient
 *    NEW: the receptionist (or scheduler) decides the visit type; a new
 *    patient asking for an exam or checkup gets NEW_PATIENT_EXAM;
 *  - any urgent symptom makes the service EMERGENCY (the dentist must see
 *    the problem before treating it) and sets the EMERGENCY intent; a lost
 *    crown or filling without pain is not urgent;
 *  - "no, Wednesday" sets both NO and CORRECTION: callers of this API should
 *    look at CORRECTION first;
 *  - "the last one" is choice VA_CHOICE_LAST, "the earlier one" choice 1;
 *  - a high fever is 102 F or more.
 */
#include "nlu/understand.h"

#include "core/alloc.h"
#include "core/err.h"
#include "nlu/text.h"

#include <stdlib.h>
#include <string.h>

static const char *const intent_names[VA_INTENT__COUNT] = {
#define VA__INTENT_NAME(id, name) [VA_INTENT_##id] = name,
    VA_INTENT_MAP(VA__INTENT_NAME)
#undef VA__INTENT_NAME
};

static const char *const symptom_names[VA_SYMPTOM__COUNT] = {
#define VA__SYMPTOM_NAME(id, name) [VA_SYMPTOM_##id] = name,
    VA_SYMPTOM_MAP(VA__SYMPTOM_NAME)
#undef VA__SYMPTOM_NAME
};

const char *va_intent_name(enum va_intent i)
{
	if ((int)i < 0 || i >= VA_INTENT__COUNT)
		return "unknown";
	return intent_names[i];
}

const char *va_symptom_name(enum va_symptom s)
{
	if ((int)s < 0 || s >= VA_SYMPTOM__COUNT)
		return "unknown";
	return symptom_names[s];
}

/* Cues: what a phrase table entry says when it matches. The first ones are
 * the intents themselves. */
enum cue {
	C_WANT = VA_INTENT__COUNT,
	C_NEW,
	C_EXISTING,
	C_NEW_BARE,
	C_EXISTING_BARE,
	C_NP_EXAM,
	C_S_CLEANING,
	C_S_EXAM,
	C_S_FILLING,
	C_S_CROWN,
	C_S_ROOT_CANAL,
	C_S_EXTRACTION,
	C_S_WHITENING,
	C_S_CONSULT,
	C_S_TOPIC,
	C_CHILD,
	C_PAIN,
	C_SWELL,
	C_BLEED,
	C_BROKEN,
	C_KNOCKED,
	C_LOST,
	C_FEVER,
	C_HIGH_FEVER,
	C_T_BREATH,
	C_T_SWALLOW,
	C_EYE_NECK,
	C_SPREAD,
	C_NOSTOP,
	C_HEAD,
	C_CALLER_ID,
	C_CALLER_ID_LOOSE,
	C_BIRTH,
	C_NO_INS,
	C_INS_Q,
	C_INS_WORD,
	C_INS_ASK,
	C_SURE,
	C_YES_START,
	C_NO_START,
	C_CORR_START,
	C__COUNT
};

_Static_assert(C__COUNT <= 64, "cues are a 64-bit set");

#define CUE(c) ((uint64_t)1 << (c))

enum rule_flag {
	R_NEG = 1,   /* a negation just before ("don't", "no") cancels it */
	R_START = 2, /* only as the first word (after fillers) */
};

struct rule {
	uint8_t cue;
	uint8_t flags;
	/* Words separated by spaces; "a|b" alternatives; "*" skips 0-3 words. */
	const char *pat;
};

/* clang-format off */
static const struct rule rules[] = {
	/* booking */
	{VA_INTENT_BOOK, R_NEG, "make|book|schedule|set|get|need|want|like|request|wanna * appointment|appointments|appt|visit"},
	{VA_INTENT_BOOK, R_NEG, "book|schedule|booking|scheduling"},
	{VA_INTENT_BOOK, R_NEG, "come|get|stop|drop in|by"},
	{VA_INTENT_BOOK, R_NEG, "see * dentist|doctor|dr|hygienist|someone"},
	{VA_INTENT_BOOK, R_NEG, "set up"},
	{VA_INTENT_BOOK, R_NEG, "you|ya * have * anything|something|openings|opening|availability|spots|slots|room"},
	{VA_INTENT_BOOK, R_NEG, "available|availability|openings"},
	{VA_INTENT_BOOK, R_NEG, "looking for * dentist|appointment"},
	{VA_INTENT_BOOK, R_NEG, "new|another appointment|appt"},
	{VA_INTENT_BOOK, R_NEG, "bring * son|daughter|kid|kids|child|children|husband|wife|mom|dad|mother|father"},
	{C_WANT, R_NEG, "need|needs|want|wants|like|looking|get|getting|wanna|due|schedule|book"},
	{C_WANT, R_NEG, "have to"},
	{VA_INTENT_RESCHEDULE, R_NEG, "reschedule|rescheduling|rebook|rebooking|postpone"},
	{VA_INTENT_RESCHEDULE, R_NEG, "move|change|switch|shift|push|moving|changing * appointment|appt|visit|cleaning|checkup"},
	{VA_INTENT_RESCHEDULE, R_NEG, "push|move|bump it|that|this back|up|forward|out|later|earlier"},
	{VA_INTENT_RESCHEDULE, R_NEG, "push|pushing back"},
	{VA_INTENT_RESCHEDULE, R_NEG, "move it"},
	{VA_INTENT_CANCEL, R_NEG, "cancel|cancelling|canceling|cancellation|cancelled|canceled"},
	{VA_INTENT_CANCEL, 0, "cant|cannot|wont|not|unable * make it"},
	{VA_INTENT_CANCEL, 0, "cant|cannot|wont|not|unable * make * appointment|appt|cleaning|checkup"},
	{VA_INTENT_CANCEL, 0, "cant|cannot|wont * come|go|attend|be there"},
	{VA_INTENT_CANCEL, R_NEG, "call it off"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "do|did|dont i|we * have * appointment|appt|appointments|something|anything"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "when|whens|what|whats * my|our appointment|appt|cleaning|visit|checkup"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "confirm|check|verify|double|remind * my|our|the appointment|appt|visit|time"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "is|am * my|our|i * still on"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "is my appointment|appt"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "is|am that|it still on|happening"},
	{VA_INTENT_CONFIRM_EXISTING, 0, "have|got * appointment|appt|cleaning|exam|checkup|visit * confirm|verify|still"},
	/* emergencies */
	{VA_INTENT_EMERGENCY, R_NEG, "emergency|emergencies|urgent|urgently"},
	{VA_INTENT_EMERGENCY, 0, "killing me"},
	{VA_INTENT_EMERGENCY, R_NEG, "severe|unbearable|excruciating|terrible|horrible|extreme|awful * pain|toothache|ache|swelling"},
	/* questions */
	{VA_INTENT_ASK_HOURS, 0, "your|the|office|business|opening|closing|open hours"},
	{VA_INTENT_ASK_HOURS, 0, "hours of operation"},
	{VA_INTENT_ASK_HOURS, 0, "what|which|whats are * hours"},
	{VA_INTENT_ASK_HOURS, 0, "you|ya|yall open|close|closed|closing|opening|opened"},
	{VA_INTENT_ASK_HOURS, 0, "you guys|all open|close|closed|closing|opening|opened"},
	{VA_INTENT_ASK_HOURS, 0, "open late|weekends|saturdays|sundays"},
	{VA_INTENT_ASK_HOURS, 0, "opening|closing time"},
	{VA_INTENT_ASK_HOURS, 0, "what time * open|close"},
	{VA_INTENT_ASK_LOCATION, 0, "where are|is|s|r you|office|practice|clinic|located|it|building|ya"},
	{VA_INTENT_ASK_LOCATION, 0, "where * you|office|practice|clinic * located"},
	{VA_INTENT_ASK_LOCATION, 0, "your|the|ur|office|practice|clinic|exact address"},
	{VA_INTENT_ASK_LOCATION, 0, "address of|for"},
	{VA_INTENT_ASK_LOCATION, 0, "directions|location|parking"},
	{VA_INTENT_ASK_LOCATION, 0, "how do i|we get there"},
	{VA_INTENT_ASK_LOCATION, 0, "what street|city"},
	{C_INS_Q, R_NEG, "you|ya|yall|guys * take|accept|except|accepted|taking|accepting"},
	{C_INS_Q, R_NEG, "accepted|innetwork|network|cover|covered|covers|coverage"},
	{C_INS_Q, R_NEG, "work with"},
	{C_INS_WORD, 0, "insurance|insurances|plan|plans|ppo|hmo|carrier|carriers|insured"},
	{C_INS_ASK, 0, "what|which|whose|kind * insurance|insurances|plans|carriers"},
	{C_NO_INS, 0, "no|without insurance|coverage"},
	{C_NO_INS, 0, "no|without dental|any|medical insurance|coverage"},
	{C_NO_INS, 0, "dont|havent|not|doesnt have|got * insurance|coverage"},
	{C_NO_INS, 0, "not insured|covered"},
	{C_NO_INS, 0, "uninsured|selfpay|cash"},
	{C_NO_INS, 0, "self pay"},
	{C_NO_INS, 0, "out of pocket"},
	{VA_INTENT_ASK_PRICES, 0, "how much"},
	{VA_INTENT_ASK_PRICES, 0, "cost|costs|price|prices|pricing|priced|charge|charges|fee|fees|expensive|afford|rates"},
	{VA_INTENT_HUMAN, R_NEG, "real|live|actual * person|human|people"},
	{VA_INTENT_HUMAN, R_NEG, "human|operator|receptionist|representative|rep|humans|secretary"},
	{VA_INTENT_HUMAN, R_NEG, "speak|talk|speaking|talking|put * to|with|through * someone|somebody|person|human|anyone|anybody|receptionist|staff|manager|agent|representative|operator|front"},
	{VA_INTENT_HUMAN, R_NEG, "front desk"},
	{VA_INTENT_HUMAN, R_NEG, "speak|talk|speaking|talking to|with * dentist|doctor|dr|hygienist"},
	{VA_INTENT_HUMAN, R_NEG, "transfer me"},
	{VA_INTENT_HUMAN, R_NEG, "a person"},
	/* conversation */
	{VA_INTENT_GOODBYE, 0, "bye|goodbye|byebye|farewell"},
	{VA_INTENT_GOODBYE, 0, "thats|thatll all|it|everything"},
	{VA_INTENT_GOODBYE, 0, "that is|will * all|it|everything"},
	{VA_INTENT_GOODBYE, 0, "have a good|nice|great|wonderful|lovely day|one|night|evening|weekend|afternoon"},
	{VA_INTENT_GOODBYE, 0, "take care"},
	{VA_INTENT_GOODBYE, 0, "talk to you later"},
	{VA_INTENT_GOODBYE, 0, "see you|ya"},
	{VA_INTENT_GOODBYE, 0, "nothing else"},
	{VA_INTENT_GOODBYE, 0, "hang up"},
	{VA_INTENT_GOODBYE, 0, "never mind"},
	{VA_INTENT_GOODBYE, 0, "cheers"},
	{VA_INTENT_GOODBYE, 0, "nevermind"},
	{VA_INTENT_GOODBYE, 0, "forget it"},
	{VA_INTENT_GOODBYE, 0, "ill|i * call * back"},
	{VA_INTENT_GOODBYE, 0, "call back later"},
	{C_YES_START, R_START, "yes|yeah|yep|yup|ya|yea|yah|ok|okay|alright|right|correct|perfect|great|fine|absolutely|definitely|certainly|exactly|uhhuh|mhm|mmhm|affirmative|indeed|awesome|excellent"},
	{C_YES_START, R_START, "all right"},
	{C_YES_START, R_START, "uh huh"},
	{VA_INTENT_YES, R_NEG, "yes|yeah|yep|yup|absolutely|definitely|correct"},
	{VA_INTENT_YES, R_NEG, "that|it|this works|work"},
	{VA_INTENT_YES, R_NEG, "that|it|this would|will|should|could work"},
	{VA_INTENT_YES, R_NEG, "sounds good|great|perfect|fine|right|lovely"},
	{VA_INTENT_YES, R_NEG, "works for me|us"},
	{VA_INTENT_YES, R_NEG, "thats|that|is * right|correct|fine|perfect|great|good"},
	{VA_INTENT_YES, 0, "of course"},
	{VA_INTENT_YES, 0, "go ahead"},
	{VA_INTENT_YES, 0, "please do"},
	{VA_INTENT_YES, 0, "lets do it|that"},
	{VA_INTENT_YES, 0, "book it"},
	{VA_INTENT_YES, 0, "go for it"},
	{VA_INTENT_YES, 0, "do it"},
	{VA_INTENT_YES, 0, "would be great|perfect|fine|good"},
	{C_SURE, R_NEG, "sure"},
	{C_NO_START, R_START, "no|nope|nah|negative"},
	{VA_INTENT_NO, 0, "nope|nah"},
	{VA_INTENT_NO, 0, "not really"},
	{VA_INTENT_NO, 0, "doesnt|wont|dont|didnt|not * work|works"},
	{VA_INTENT_NO, 0, "no thanks|thank"},
	{VA_INTENT_NO, 0, "dont think so"},
	{VA_INTENT_NO, 0, "not that one"},
	{VA_INTENT_NO, 0, "neither"},
	{VA_INTENT_NO, 0, "not good"},
	{VA_INTENT_NO, 0, "thats|that|its|is not right|correct|it"},
	{C_CORR_START, R_START, "actually|wait|oops"},
	{VA_INTENT_CORRECTION, 0, "i|we meant|mean"},
	{VA_INTENT_CORRECTION, 0, "i said"},
	{VA_INTENT_CORRECTION, R_NEG, "make it|that"},
	{VA_INTENT_CORRECTION, 0, "change|switch it|that to"},
	{VA_INTENT_CORRECTION, 0, "instead|rather|misspoke"},
	{VA_INTENT_CORRECTION, 0, "scratch that"},
	{VA_INTENT_CORRECTION, 0, "how|what about"},
	{VA_INTENT_CORRECTION, 0, "no wait"},
	{VA_INTENT_DONT_KNOW, 0, "not sure|certain"},
	{VA_INTENT_DONT_KNOW, 0, "dont|didnt * know"},
	{VA_INTENT_DONT_KNOW, 0, "do not know"},
	{VA_INTENT_DONT_KNOW, 0, "no idea|clue"},
	{VA_INTENT_DONT_KNOW, 0, "dunno|unsure|idk"},
	{VA_INTENT_DONT_KNOW, 0, "i forget|forgot"},
	{VA_INTENT_DONT_KNOW, 0, "dont|cant|cannot * remember|recall"},
	{VA_INTENT_DONT_KNOW, 0, "not remember|recall"},
	{VA_INTENT_DONT_KNOW, 0, "hard to say"},
	{VA_INTENT_DONT_KNOW, 0, "who knows"},
	{VA_INTENT_REPEAT, 0, "what was that"},
	{VA_INTENT_REPEAT, 0, "repeat|repeating"},
	{VA_INTENT_REPEAT, 0, "say * again"},
	{VA_INTENT_REPEAT, 0, "come again"},
	{VA_INTENT_REPEAT, 0, "didnt|couldnt|cant|not * catch|hear|understand"},
	{VA_INTENT_REPEAT, 0, "didnt get that"},
	{VA_INTENT_REPEAT, 0, "one more time"},
	{VA_INTENT_REPEAT, 0, "pardon"},
	{VA_INTENT_REPEAT, 0, "what did you say"},
	{VA_INTENT_REPEAT, 0, "breaking|cutting up|out"},
	{VA_INTENT_THANKS, 0, "thanks|thank|thx|thankyou|appreciate|appreciated"},
	/* new or existing */
	{C_NEW, R_NEG, "new patient|patients|client|here|to"},
	{C_NEW, R_NEG, "im|were new"},
	{C_NEW, R_NEG, "i am new"},
	{C_NEW, R_NEG, "first time|visit"},
	{C_NEW, 0, "never been|visited|seen|come|gone"},
	{C_NEW, 0, "havent|have not * been|visited|seen|come * before|there|here|you"},
	{C_NEW, 0, "not a patient"},
	{C_EXISTING, R_NEG, "existing|current|returning|regular|established patient|patients|client"},
	{C_EXISTING, R_NEG, "been * before|there|here"},
	{C_EXISTING, R_NEG, "been seeing|coming"},
	{C_EXISTING, R_NEG, "patient of|with"},
	{C_EXISTING, R_NEG, "already|currently * patient"},
	{C_NEW_BARE, 0, "new"},
	{C_EXISTING_BARE, 0, "existing|returning|current|established|old"},
	/* services */
	{C_NP_EXAM, R_NEG, "new patient exam|examination|visit|appointment|checkup|evaluation"},
	{C_S_CLEANING, R_NEG, "cleaning|cleanings|clean|cleaned|cleanup|hygienist|hygiene|prophy|polish|scaling"},
	{C_S_EXAM, R_NEG, "checkup|checkups|exam|exams|examination|xrays|xray|evaluation"},
	{C_S_EXAM, R_NEG, "check up|over"},
	{C_S_EXAM, R_NEG, "check|checked * teeth|mouth|tooth|gums"},
	{C_S_EXAM, R_NEG, "look at * teeth|tooth|mouth|gums"},
	{C_S_EXAM, R_NEG, "take a look"},
	{C_S_EXAM, R_NEG, "x rays|ray"},
	{C_S_FILLING, R_NEG, "filling|fillings|cavity|cavities|decay"},
	{C_S_FILLING, R_NEG, "hole|holes in * tooth|teeth|molar"},
	{C_S_CROWN, R_NEG, "crown|crowns|cap"},
	{C_S_ROOT_CANAL, R_NEG, "root canal|canals"},
	{C_S_ROOT_CANAL, R_NEG, "rootcanal"},
	{C_S_EXTRACTION, R_NEG, "extraction|extractions|extract|extracted|extracting"},
	{C_S_EXTRACTION, R_NEG, "pull|pulled|pulling|remove|removed|removing|yank * tooth|teeth|molar"},
	{C_S_EXTRACTION, R_NEG, "tooth|teeth|molar * pulled|removed|extracted"},
	{C_S_EXTRACTION, R_NEG, "take|get|have|taking|taken * tooth|teeth|molar out"},
	{C_S_EXTRACTION, R_NEG, "take out"},
	{C_S_EXTRACTION, R_NEG, "tooth|teeth|molar * taken out"},
	{C_S_EXTRACTION, R_NEG, "wisdom tooth|teeth"},
	{C_S_WHITENING, R_NEG, "whiten|whitening|whitened|bleach|bleaching|whiter|brighter"},
	{C_S_CONSULT, R_NEG, "consult|consultation|consultations"},
	{C_S_CONSULT, R_NEG, "second opinion"},
	{C_S_TOPIC, R_NEG, "implant|implants|veneer|veneers|invisalign|braces|aligners|dentures|denture|orthodontics|orthodontic|cosmetic"},
	{C_CHILD, 0, "my|our|for|his|her * son|daughter|kid|kids|child|children|boy|girl|grandson|granddaughter|toddler|baby|kiddo|stepson|stepdaughter"},
	{C_CHILD, 0, "little one"},
	{C_CHILD, 0, "year|yr old"},
	{C_CHILD, 0, "pediatric|childrens|kids"},
	/* symptoms */
	{C_PAIN, R_NEG, "pain|pains|painful|hurts|hurt|hurting|ache|aches|aching|achy|toothache|toothaches|sore|throbbing|throbs|agony|tender"},
	{C_PAIN, 0, "killing me"},
	{C_SWELL, R_NEG, "swollen|swelling|swell|swelled|swells|puffy|abscess|abscessed"},
	{C_BLEED, R_NEG, "bleeding|bleed|bleeds|bled|blood|bloody"},
	{C_BROKEN, R_NEG, "broke|broken|break|breaking|chipped|chip|cracked|crack|fractured|fracture|snapped"},
	{C_KNOCKED, R_NEG, "knocked|knock * out|loose"},
	{C_KNOCKED, R_NEG, "tooth|teeth * fell|came|popped * out"},
	{C_KNOCKED, R_NEG, "lost a tooth"},
	{C_LOST, R_NEG, "crown|crowns|cap|filling|fillings|bridge|temporary|temp * fell|came|come|falling|coming|popped|loose|fall"},
	{C_LOST, R_NEG, "lost * crown|cap|filling|fillings|bridge|temporary"},
	{C_FEVER, R_NEG, "fever|fevers|feverish|temperature"},
	{C_HIGH_FEVER, R_NEG, "high * fever|temperature"},
	{C_T_BREATH, R_NEG, "trouble|hard|difficult|difficulty|problem|problems|struggling|struggle|harder|cant|cannot|unable|barely * breathe|breathing|breath"},
	{C_T_BREATH, R_NEG, "short|shortness of breath"},
	{C_T_SWALLOW, R_NEG, "trouble|hard|difficult|difficulty|problem|problems|struggling|harder|cant|cannot|unable|barely|hurts|painful|pain * swallow|swallowing"},
	{C_EYE_NECK, R_NEG, "swelling|swollen|swelled|swell|puffy|swells * eye|eyes|neck|throat"},
	{C_EYE_NECK, R_NEG, "eye|eyes|neck|throat * swollen|swelling|puffy|swelled|shut"},
	{C_EYE_NECK, 0, "cant|cannot * open * eye|eyes"},
	{C_SPREAD, R_NEG, "spreading|spread|spreads"},
	{C_SPREAD, R_NEG, "getting bigger|worse"},
	{C_NOSTOP, 0, "wont|doesnt|isnt|hasnt|cant|not|never * stop|stopped|stopping"},
	{C_NOSTOP, 0, "keeps|keep|still|nonstop * bleeding"},
	{C_NOSTOP, 0, "non stop"},
	{C_NOSTOP, 0, "uncontrolled|uncontrollable|profusely|heavily|gushing"},
	{C_HEAD, R_NEG, "hit|hurt|bumped|banged|bump|injured|smacked * head"},
	{C_HEAD, R_NEG, "head injury|trauma|wound"},
	{C_HEAD, R_NEG, "passed|blacked out"},
	{C_HEAD, R_NEG, "lost consciousness"},
	{C_HEAD, R_NEG, "unconscious|concussion|fainted|fainting"},
	/* details */
	{C_CALLER_ID, 0, "this|same number|phone|line|cell"},
	{C_CALLER_ID, 0, "number|one * calling|called from"},
	{C_CALLER_ID_LOOSE, 0, "calling|called from"},
	{C_CALLER_ID, 0, "number * on file|you have"},
	{C_CALLER_ID_LOOSE, 0, "this|that|same one"},
	{C_BIRTH, 0, "born|birthday|birthdate|birth|dob|bday"},
};
/* clang-format on */
/* Words that are never part of a name: kept sorted (C locale) for bsearch. */
/* clang-format off */
static const char *const stopwords[] = {
	"a", "able", "about", "above", "absolutely", "accept", "accepted", "account", "ache",
	"aching", "across", "actually", "address", "aetna", "afraid", "after", "afternoon",
	"again", "agent", "ago", "ah", "ahead", "ahh", "aligners", "all", "allergic", "almost",
	"alone", "along", "already", "alright", "also", "although", "always", "am", "ameritas",
	"an", "and", "another", "any", "anybody", "anyone", "anything", "anytime", "anyway",
	"anywhere", "appointment", "appointments", "appreciate", "appt", "appts", "are", "area",
	"arent", "around", "as", "asap", "ask", "asking", "at", "available", "away", "awesome",
	"baby", "back", "bad", "bcbs", "be", "because", "been", "before", "behind", "being",
	"below", "best", "better", "between", "bit", "bleed", "bleeding", "bleeds", "blood",
	"blue", "book", "booked", "booking", "born", "both", "boy", "braces", "break", "breath",
	"breathe", "breathing", "broke", "broken", "brother", "bump", "busy", "but", "by", "bye",
	"calendar", "call", "called", "calling", "came", "can", "canal", "cancel", "cancelled",
	"cancelling", "cant", "cap", "care", "cash", "cavities", "cavity", "certain", "change",
	"charge", "cheap", "check", "checkin", "checking", "checkup", "checkups", "child",
	"children", "chipped", "cigna", "clean", "cleaned", "cleaning", "cleanings", "cleanup",
	"close", "closed", "code", "come", "coming", "concerned", "confirm", "consult",
	"consultation", "correct", "cost", "costs", "could", "couldnt", "cover", "coverage",
	"covered", "crack", "cracked", "cross", "crown", "crowns", "current", "currently", "dad",
	"daughter", "day", "days", "dear", "dec", "december", "definitely", "delta", "dental",
	"dentist", "dentists", "denture", "dentures", "desk", "did", "didnt", "different",
	"directions", "do", "doctor", "does", "doesnt", "doing", "done", "dont", "double", "down",
	"dr", "during", "each", "earlier", "earliest", "early", "eight", "eighteen", "eighty",
	"either", "eleven", "else", "emergency", "end", "er", "erm", "even", "evening", "ever",
	"every", "everything", "exactly", "exam", "examination", "exams", "excuse", "existing",
	"expensive", "extract", "extraction", "eye", "face", "fair", "false", "feb", "february",
	"fee", "fees", "fell", "fever", "few", "fifteen", "fifty", "filling", "fillings", "fine",
	"first", "five", "for", "forget", "forty", "four", "fourteen", "free", "fri", "friday",
	"fridays", "from", "front", "full", "get", "getting", "girl", "give", "glad", "go",
	"going", "gone", "good", "goodbye", "got", "great", "guardian", "guess", "gum", "gums",
	"guy", "guys", "had", "happy", "hard", "has", "hasnt", "have", "havent", "having", "he",
	"head", "health", "healthcare", "hello", "help", "her", "here", "hers", "herself", "hey",
	"hi", "him", "himself", "his", "hm", "hmm", "hold", "hole", "home", "hope", "hoping",
	"hour", "hours", "how", "however", "huh", "human", "humana", "hundred", "hurt", "hurting",
	"hurts", "husband", "hygiene", "hygienist", "i", "id", "if", "ill", "im", "implant",
	"implants", "in", "insurance", "interested", "into", "invisalign", "is", "isnt", "it",
	"its", "ive", "jan", "january", "jaw", "july", "just", "keep", "kid", "kids", "killing",
	"kind", "knocked", "know", "last", "late", "later", "left", "less", "let", "lets", "like",
	"line", "little", "located", "location", "look", "looking", "lost", "lot", "ma", "maam",
	"make", "many", "march", "maybe", "me", "mean", "medicaid", "medicare", "metlife", "mhm",
	"middle", "midnight", "mind", "mine", "minute", "mm", "mmhm", "mmm", "mom", "moment",
	"mon", "monday", "mondays", "month", "more", "morning", "most", "mother", "mouth", "mr",
	"mrs", "ms", "much", "must", "my", "myself", "nah", "name", "names", "near", "neck",
	"need", "needs", "nervous", "never", "nevermind", "new", "next", "nice", "night", "nine",
	"nineteen", "ninety", "no", "nobody", "none", "noon", "nope", "normal", "not", "nothing",
	"nov", "november", "now", "number", "oclock", "oct", "october", "of", "off", "office",
	"oh", "ok", "okay", "old", "on", "once", "one", "only", "oops", "open", "operator", "or",
	"other", "our", "ours", "out", "over", "own", "pain", "painful", "parking", "patient",
	"patients", "pay", "people", "perfect", "person", "phone", "please", "plus", "polish",
	"possible", "pretty", "price", "prices", "pricing", "principal", "problem", "pull",
	"pulled", "quite", "rather", "ready", "really", "receptionist", "regular", "remember",
	"repeat", "representative", "right", "root", "routine", "said", "same", "sat", "saturday",
	"saturdays", "say", "scared", "schedule", "scheduled", "second", "see", "seeing",
	"sensitive", "sept", "september", "seven", "seventeen", "seventy", "she", "shield",
	"should", "sick", "since", "six", "sixteen", "sixty", "sleep", "so", "some", "somebody",
	"someone", "something", "sometime", "sometimes", "son", "soon", "sore", "sorry", "speak",
	"speaking", "spell", "spelled", "spelling", "staff", "still", "stop", "street", "sunday",
	"sundays", "super", "sure", "swallow", "swallowing", "swelling", "swollen", "take", "talk",
	"teeth", "temperature", "ten", "than", "thank", "thanks", "that", "thats", "the", "their",
	"them", "then", "there", "these", "they", "thing", "think", "third", "thirteen", "thirty",
	"this", "those", "though", "three", "throat", "throbbing", "through", "thurs", "thursday",
	"thursdays", "thx", "till", "time", "tired", "to", "today", "tomorrow", "tonight", "too",
	"tooth", "toothache", "total", "totally", "trying", "tues", "tuesday", "tuesdays",
	"twelve", "twenty", "two", "uh", "uhh", "uhhuh", "uhm", "um", "umm", "under", "united",
	"until", "up", "upper", "urgent", "us", "use", "usual", "usually", "veneer", "veneers",
	"very", "visit", "visits", "wait", "want", "wanted", "was", "wasnt", "way", "we",
	"wednesday", "wednesdays", "weds", "week", "weekday", "weekdays", "weekend", "weekends",
	"welcome", "well", "went", "were", "what", "whatever", "whats", "when", "whenever",
	"where", "wherever", "which", "whichever", "while", "white", "whiten", "whitening",
	"whiter", "who", "whole", "whom", "whose", "why", "wife", "wisdom", "with", "without",
	"wondering", "work", "works", "worried", "would", "wouldnt", "x", "xray", "xrays", "ya",
	"yah", "yea", "yeah", "year", "years", "yep", "yes", "yesterday", "yet", "you", "your",
	"youre", "yours", "yourself", "yup",
};
/* clang-format on */

static const char *const negators[] = {
    "aint",  "arent", "cannot",	  "cant",  "couldnt", "didnt",	 "doesnt", "dont",
    "hadnt", "hasnt", "havent",	  "isnt",  "neither", "never",	 "no",	   "none",
    "nor",   "not",   "shouldnt", "wasnt", "werent",  "without", "wont",   "wouldnt",
};

static const char *const fillers[] = {
    "ah", "ahh", "er", "erm", "hello", "hey", "hi",  "hm", "hmm", "like",
    "mm", "mmm", "oh", "so",  "uh",    "uhh", "uhm", "um", "umm", "well",
};

static const char *const months[] = {
    "january", "february", "march",	"april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december",
};

static const char *const month_abbr[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};

struct carrier {
	const char *pat;
	const char *name;
};

/* Longer spellings first so "blue cross blue shield" wins over "blue cross". */
static const struct carrier carriers[] = {
    {"delta dental", "Delta Dental"},
    {"delta", "Delta Dental"},
    {"cigna|signa", "Cigna"},
    {"aetna|etna", "Aetna"},
    {"metlife", "MetLife"},
    {"met life", "MetLife"},
    {"guardian", "Guardian"},
    {"united healthcare|unitedhealthcare", "UnitedHealthcare"},
    {"united health care", "UnitedHealthcare"},
    {"uhc", "UnitedHealthcare"},
    {"united concordia", "United Concordia"},
    {"humana", "Humana"},
    {"blue cross blue shield", "Blue Cross Blue Shield"},
    {"bluecross blueshield", "Blue Cross Blue Shield"},
    {"blue cross|shield", "Blue Cross Blue Shield"},
    {"bluecross|blueshield|bcbs", "Blue Cross Blue Shield"},
    {"anthem", "Anthem"},
    {"ameritas", "Ameritas"},
    {"principal", "Principal"},
    {"medicaid", "Medicaid"},
    {"medicare", "Medicare"},
    {"tricare", "Tricare"},
    {"geha", "GEHA"},
    {"careington", "Careington"},
    {"sun life", "Sun Life"},
};

enum mark {
	M_WHEN = 1,
	M_DOB = 2,
	M_PHONE = 4,
};

struct ctx {
	const char *text;
	size_t len;
	enum va_expect expect;
	struct va_understanding *out;
	size_t first; /* first token that is not a filler */
	uint64_t hit, neg;
	uint8_t at[C__COUNT]; /* token of the first positive match */
	int today_y, today_m, today_d;
	int carrier_tok; /* token where the carrier was named, -1 */
	/* Words -> first token with that word (+1), and the next token with
	 * the same word (+1): rules look their first word up here instead of
	 * comparing it with every token. */
	uint8_t slot[256];
	uint8_t next_same[VA_TEXT_MAX_TOKENS];
	int64_t now;
	const struct va_tz *tz;
	struct va_tokens tk;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_sorted(const char *w, const char *const *list, size_t n)
{
	return bsearch(&w, list, n, sizeof(*list), cmp_str) != NULL;
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(w, list[i]))
			return true;
	}
	return false;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool is_stopword(const char *w)
{
	return in_sorted(w, stopwords, N_OF(stopwords));
}

static bool is_negator(const char *w)
{
	return in_sorted(w, negators, N_OF(negators));
}

static bool is_filler(const char *w)
{
	return in_sorted(w, fillers, N_OF(fillers));
}

static bool tok_is(const struct ctx *c, size_t i, const char *w)
{
	return i < c->tk.n && !strcmp(c->tk.t[i].w, w);
}

static bool has(const struct ctx *c, int q)
{
	return (c->hit & CUE(q)) != 0;
}

static bool has_neg(const struct ctx *c, int q)
{
	return (c->neg & CUE(q)) != 0;
}

/* ---- phrase matching ---------------------------------------------------- */

static bool alt_has(const char *p, size_t plen, const char *w, size_t wl)
{
	const char *end = p + plen;

	while (p < end) {
		size_t k = 0;

		while (p + k < end && k < wl && p[k] == w[k])
			k++;
		if (k == wl && (p + k == end || p[k] == '|'))
			return true;
		p += k;
		while (p < end && *p != '|')
			p++;
		p++;
	}
	return false;
}

/* A "*" may skip words inside one clause, but never a negation ("that
 * doesn't work" is not "that ... work") nor a conjunction ("a crown, and I
 * can come" is not "crown ... come"). */
static bool skippable(const struct va_token *t)
{
	return !t->mark && !(t->flags & VA_TOK_CLAUSE) && !is_negator(t->w) &&
	       strcmp(t->w, "and") && strcmp(t->w, "but") && strcmp(t->w, "or");
}

static bool match_from(const struct ctx *c, const char *p, size_t i, size_t *end)
{
	const char *e;
	size_t plen;

	while (*p == ' ')
		p++;
	if (!*p) {
		*end = i;
		return true;
	}
	e = strchr(p, ' ');
	if (!e)
		e = p + strlen(p);
	plen = (size_t)(e - p);
	if (plen == 1 && *p == '*') {
		for (size_t k = 0; k <= 3; k++) {
			if (k > 0) {
				if (i + k - 1 >= c->tk.n || !skippable(&c->tk.t[i + k - 1]))
					break;
				if (i + k < c->tk.n && (c->tk.t[i + k].flags & VA_TOK_CLAUSE))
					continue;
			}
			if (match_from(c, e, i + k, end))
				return true;
		}
		return false;
	}
	if (i >= c->tk.n || c->tk.t[i].mark)
		return false;
	if (!alt_has(p, plen, c->tk.t[i].w, c->tk.t[i].wlen))
		return false;
	return match_from(c, e, i + 1, end);
}

/* A negation shortly before the match in the same clause: "I don't want to
 * cancel", "no fever", "it doesn't hurt". */
static bool negated(const struct ctx *c, size_t i)
{
	for (size_t back = 1; back <= 4 && back <= i; back++) {
		const struct va_token *t = &c->tk.t[i - back];

		if (c->tk.t[i - back + 1].flags & VA_TOK_CLAUSE)
			return false;
		if (!strcmp(t->w, "but"))
			return false;
		if (is_negator(t->w)) {
			if ((!strcmp(t->w, "no") || !strcmp(t->w, "none")) && back > 3)
				continue;
			return true;
		}
	}
	return false;
}

static uint32_t word_hash(const char *w, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t k = 0; k < n; k++)
		h = (h ^ (unsigned char)w[k]) * 16777619u;
	return h;
}

static void index_words(struct ctx *c)
{
	memset(c->slot, 0, sizeof(c->slot));
	for (size_t i = c->tk.n; i-- > 0;) {
		const struct va_token *t = &c->tk.t[i];
		uint32_t h = word_hash(t->w, t->wlen) & 255;

		c->next_same[i] = 0;
		while (c->slot[h]) {
			const struct va_token *o = &c->tk.t[c->slot[h] - 1];

			if (o->wlen == t->wlen && !memcmp(o->w, t->w, t->wlen))
				break;
			h = (h + 1) & 255;
		}
		if (c->slot[h])
			c->next_same[i] = c->slot[h];
		c->slot[h] = (uint8_t)(i + 1);
	}
}

/* First token (+1) whose word is w[0..n), 0 when none. */
static size_t lookup_word(const struct ctx *c, const char *w, size_t n)
{
	uint32_t h = word_hash(w, n) & 255;

	while (c->slot[h]) {
		const struct va_token *o = &c->tk.t[c->slot[h] - 1];

		if (o->wlen == n && !memcmp(o->w, w, n))
			return c->slot[h];
		h = (h + 1) & 255;
	}
	return 0;
}

static void scan_rules(struct ctx *c)
{
	for (size_t r = 0; r < N_OF(rules); r++) {
		const struct rule *ru = &rules[r];
		uint64_t bit = CUE(ru->cue);
		const char *rest = strchr(ru->pat, ' ');
		const char *p = ru->pat, *end;
		size_t best = SIZE_MAX;

		if (!rest)
			rest = ru->pat + strlen(ru->pat);
		end = rest;
		while (p < end) {
			const char *bar = memchr(p, '|', (size_t)(end - p));
			size_t n = bar ? (size_t)(bar - p) : (size_t)(end - p);

			for (size_t k = lookup_word(c, p, n); k; k = c->next_same[k - 1]) {
				size_t i = k - 1, stop;

				if (c->tk.t[i].mark || ((ru->flags & R_START) && i != c->first))
					continue;
				if (!match_from(c, rest, i + 1, &stop))
					continue;
				if ((ru->flags & R_NEG) && negated(c, i)) {
					c->neg |= bit;
					continue;
				}
				if (i < best)
					best = i;
				break;
			}
			p = bar ? bar + 1 : end;
		}
		if (best != SIZE_MAX) {
			if (!(c->hit & bit))
				c->at[ru->cue] = (uint8_t)best;
			c->hit |= bit;
		}
	}
}

/* ---- dates of birth ----------------------------------------------------- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp, yy;
	unsigned doe;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int month_at(const struct ctx *c, size_t i)
{
	if (i >= c->tk.n || c->tk.t[i].mark)
		return 0;
	for (int m = 0; m < 12; m++) {
		if (!strcmp(c->tk.t[i].w, months[m]) || !strcmp(c->tk.t[i].w, month_abbr[m]))
			return m + 1;
	}
	if (!strcmp(c->tk.t[i].w, "sept"))
		return 9;
	return 0;
}

static int two_digit_year(const struct ctx *c, int yy)
{
	return yy > c->today_y % 100 ? 1900 + yy : 2000 + yy;
}

static int num_at(const struct ctx *c, size_t i, size_t *used)
{
	*used = 0;
	if (i >= c->tk.n || c->tk.t[i].mark)
		return -1;
	return va_text_number_at(&c->tk, i, used);
}

/* "1985", "85", "nineteen eighty five", "two thousand three", "twenty oh
 * five", "eighty five". */
static int year_at(const struct ctx *c, size_t i, size_t *used)
{
	const struct va_token *t;
	size_t u = 0, u2 = 0, j;
	int hi, lo;

	*used = 0;
	if (i >= c->tk.n || c->tk.t[i].mark)
		return -1;
	t = &c->tk.t[i];
	if (t->flags & VA_TOK_DIGITS) {
		*used = 1;
		if (t->len == 4 && t->num >= 1900 && t->num <= 2100)
			return t->num;
		if (t->len == 2)
			return two_digit_year(c, t->num);
		*used = 0;
		return -1;
	}
	if (!(t->flags & VA_TOK_ALPHA) || (t->flags & VA_TOK_ORDINAL))
		return -1;
	hi = num_at(c, i, &u);
	if (hi < 0)
		return -1;
	j = i + u;
	if (hi == 2 && tok_is(c, j, "thousand")) {
		j++;
		if (tok_is(c, j, "and"))
			j++;
		lo = num_at(c, j, &u2);
		if (lo >= 0 && lo <= 99 && !(c->tk.t[j].flags & VA_TOK_DIGITS)) {
			*used = j + u2 - i;
			return 2000 + lo;
		}
		*used = j - i;
		return 2000;
	}
	if (hi == 19 || hi == 20) {
		if (tok_is(c, j, "oh") || tok_is(c, j, "o") || tok_is(c, j, "zero")) {
			lo = num_at(c, j + 1, &u2);
			if (lo >= 1 && lo <= 9) {
				*used = j + 1 + u2 - i;
				return hi * 100 + lo;
			}
		}
		lo = num_at(c, j, &u2);
		if (lo >= 10 && lo <= 99 &&
		    !(c->tk.t[j].flags & (VA_TOK_DIGITS | VA_TOK_ORDINAL))) {
			*used = j + u2 - i;
			return hi * 100 + lo;
		}
	}
	if (hi >= 10 && hi <= 99) {
		*used = u;
		return two_digit_year(c, hi);
	}
	return -1;
}

static int day_at(const struct ctx *c, size_t i, size_t *used)
{
	int d;

	*used = 0;
	if (i >= c->tk.n || c->tk.t[i].mark)
		return -1;
	if ((c->tk.t[i].flags & VA_TOK_DIGITS) && c->tk.t[i].len > 2)
		return -1;
	d = num_at(c, i, used);
	if (d < 1 || d > 31) {
		*used = 0;
		return -1;
	}
	return d;
}

static size_t skip_word(const struct ctx *c, size_t i, const char *w)
{
	return tok_is(c, i, w) ? i + 1 : i;
}

/* A whole date at token i; returns the tokens used, 0 when none. */
static size_t date_at(const struct ctx *c, size_t i, int *y, int *m, int *d)
{
	size_t j, u = 0, uy = 0;
	const struct va_token *t = &c->tk.t[i];

	*m = month_at(c, i);
	if (*m) { /* March 3rd 1985, March the third, 1985 */
		j = skip_word(c, i + 1, "the");
		*d = day_at(c, j, &u);
		if (*d < 0)
			return 0;
		j = skip_word(c, j + u, "of");
		*y = year_at(c, j, &uy);
		return *y > 0 ? j + uy - i : 0;
	}
	if ((t->flags & VA_TOK_DIGITS) && i + 2 < c->tk.n && t->len <= 2) {
		const struct va_token *b = &c->tk.t[i + 1], *yt = &c->tk.t[i + 2];
		char sep = b->punct;

		if ((sep == '/' || sep == '-' || sep == '.') && yt->punct == sep &&
		    !(b->flags & VA_TOK_SPACE) && !(yt->flags & VA_TOK_SPACE) &&
		    (b->flags & VA_TOK_DIGITS) && b->len <= 2 && !b->mark && !yt->mark) {
			int a = t->num, bb = b->num;

			*y = year_at(c, i + 2, &uy);
			if (*y < 0)
				return 0;
			/* US order, unless the first number cannot be a month. */
			if (a > 12 && bb <= 12) {
				*d = a;
				*m = bb;
			} else {
				*m = a;
				*d = bb;
			}
			return 3;
		}
	}
	j = skip_word(c, i, "the");
	*d = day_at(c, j, &u);
	if (*d > 0 && !(c->tk.t[j].flags & VA_TOK_DIGITS && c->tk.t[j].len > 2)) {
		size_t k = skip_word(c, j + u, "of");

		*m = month_at(c, k);
		if (*m) {
			k++;
			*y = year_at(c, k, &uy);
			if (*y > 0)
				return k + uy - i;
		}
	}
	return 0;
}

static bool date_valid(const struct ctx *c, int y, int m, int d)
{
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	if (y > c->today_y ||
	    (y == c->today_y && (m > c->today_m || (m == c->today_m && d > c->today_d))))
		return false;
	return true;
}

/* Finds a date of birth; marks its words and returns its byte span. Without
 * the caller saying "born"/"birthday" (or being asked), only a date at least
 * two years back is taken as one: nobody books a visit that far in the past. */
static bool find_dob(struct ctx *c, size_t *span_start, size_t *span_end)
{
	bool asked = c->expect == VA_EXPECT_DOB || has(c, C_BIRTH);
	size_t from = has(c, C_BIRTH) ? c->at[C_BIRTH] : 0;

	for (int pass = 0; pass < 2; pass++) {
		size_t lo = pass == 0 ? from : 0, hi = pass == 0 ? c->tk.n : from;

		for (size_t i = lo; i < hi; i++) {
			int y, m, d;
			size_t n;

			if (c->tk.t[i].mark)
				continue;
			n = date_at(c, i, &y, &m, &d);
			if (!n || !date_valid(c, y, m, d))
				continue;
			if (!asked && y > c->today_y - 2)
				continue;
			c->out->dob_year = y;
			c->out->dob_month = m;
			c->out->dob_day = d;
			for (size_t k = i; k < i + n && k < c->tk.n; k++)
				c->tk.t[k].mark |= M_DOB;
			*span_start = c->tk.t[i].start;
			*span_end = c->tk.t[i + n - 1].start + c->tk.t[i + n - 1].len;
			return true;
		}
	}
	return false;
}

/* ---- phone numbers ------------------------------------------------------ */

static bool unit_word(const struct va_token *t)
{
	return (t->flags & VA_TOK_ALPHA) && !(t->flags & VA_TOK_ORDINAL) && t->num >= 0 &&
	       t->num <= 9;
}

static bool digitish(const struct ctx *c, size_t i)
{
	const struct va_token *t;

	if (i >= c->tk.n || c->tk.t[i].mark)
		return false;
	t = &c->tk.t[i];
	return (t->flags & VA_TOK_DIGITS) || unit_word(t) ||
	       ((t->flags & VA_TOK_ALPHA) && !(t->flags & VA_TOK_ORDINAL) && t->num >= 10 &&
		t->num <= 90);
}

/* Words a caller puts between digit groups when reading a number out. */
static bool phone_glue(const char *w, bool lenient)
{
	static const char *const strict[] = {"dash", "hyphen"};
	static const char *const loose[] = {"and",   "area",  "code", "comma",	"dash",	  "dot",
					    "its",   "is",    "my",   "number", "period", "plus",
					    "point", "space", "that", "the",	"then",	  "thats"};

	if (is_filler(w) && strcmp(w, "oh") && strcmp(w, "like"))
		return true;
	return lenient ? in_list(w, loose, N_OF(loose)) : in_list(w, strict, N_OF(strict));
}

static bool put_digit(char *d, size_t *dn, char ch)
{
	if (*dn >= 20)
		return false;
	d[(*dn)++] = ch;
	return true;
}

/* Reads one run of digits starting at i; returns the index after its last
 * digit word and the digits in d (*dn), or i when no run starts there. */
static size_t phone_run(const struct ctx *c, size_t i, bool lenient, char *d, size_t *dn)
{
	size_t j = i, last = i;
	bool ok = true;

	*dn = 0;
	while (j < c->tk.n && ok) {
		const struct va_token *t = &c->tk.t[j];

		if (t->mark)
			break;
		if (t->flags & VA_TOK_DIGITS) {
			for (uint32_t k = 0; k < t->len && ok; k++)
				ok = put_digit(d, dn, c->text[t->start + k]);
			last = ++j;
		} else if (unit_word(t)) {
			ok = put_digit(d, dn, (char)('0' + t->num));
			last = ++j;
		} else if ((!strcmp(t->w, "oh") || !strcmp(t->w, "o")) &&
			   (*dn > 0 || digitish(c, j + 1))) {
			ok = put_digit(d, dn, '0');
			last = ++j;
		} else if ((!strcmp(t->w, "double") || !strcmp(t->w, "triple")) &&
			   j + 1 < c->tk.n && !c->tk.t[j + 1].mark &&
			   (unit_word(&c->tk.t[j + 1]) || !strcmp(c->tk.t[j + 1].w, "oh") ||
			    ((c->tk.t[j + 1].flags & VA_TOK_DIGITS) && c->tk.t[j + 1].len == 1))) {
			const struct va_token *n = &c->tk.t[j + 1];
			char ch = (n->flags & VA_TOK_DIGITS) ? c->text[n->start]
				  : unit_word(n)	     ? (char)('0' + n->num)
							     : '0';
			int times = t->w[0] == 'd' ? 2 : 3;

			for (int k = 0; k < times && ok; k++)
				ok = put_digit(d, dn, ch);
			j += 2;
			last = j;
		} else if ((t->flags & VA_TOK_ALPHA) && !(t->flags & VA_TOK_ORDINAL) &&
			   t->num >= 10 && t->num <= 19) {
			ok = put_digit(d, dn, '1') && put_digit(d, dn, (char)('0' + t->num - 10));
			last = ++j;
		} else if ((t->flags & VA_TOK_ALPHA) && !(t->flags & VA_TOK_ORDINAL) &&
			   t->num >= 20 && t->num <= 90) {
			ok = put_digit(d, dn, (char)('0' + t->num / 10));
			if (j + 1 < c->tk.n && !c->tk.t[j + 1].mark && unit_word(&c->tk.t[j + 1]) &&
			    c->tk.t[j + 1].num > 0) {
				ok = ok && put_digit(d, dn, (char)('0' + c->tk.t[j + 1].num));
				j++;
			} else {
				ok = ok && put_digit(d, dn, '0');
			}
			last = ++j;
		} else if (!strcmp(t->w, "hundred") && *dn > 0) {
			ok = put_digit(d, dn, '0') && put_digit(d, dn, '0');
			last = ++j;
		} else if (*dn > 0 && phone_glue(t->w, lenient)) {
			j++;
		} else {
			break;
		}
	}
	if (!ok)
		*dn = 0;
	return last;
}

static void find_phone(struct ctx *c)
{
	bool lenient = c->expect == VA_EXPECT_PHONE;
	size_t i = 0;

	while (i < c->tk.n) {
		char d[24];
		size_t dn = 0, end, off = 0;

		if (!digitish(c, i) && !tok_is(c, i, "double") && !tok_is(c, i, "triple") &&
		    !((tok_is(c, i, "oh") || tok_is(c, i, "o")) && digitish(c, i + 1))) {
			i++;
			continue;
		}
		end = phone_run(c, i, lenient, d, &dn);
		if (dn == 11 && d[0] == '1')
			off = 1;
		if (dn - off == 10 || dn == 7) {
			memcpy(c->out->phone, d + off, dn - off);
			c->out->phone[dn - off] = '\0';
			for (size_t k = i; k < end; k++)
				c->tk.t[k].mark |= M_PHONE;
			return;
		}
		i = end > i ? end : i + 1;
	}
}

/* ---- symptoms, pain, urgency ------------------------------------------- */

static void find_pain_level(struct ctx *c)
{
	static const char *const lead[] = {"a",	    "an",   "about",	"around", "at",
					   "be",    "is",   "its",	"level",  "like",
					   "maybe", "prob", "probably", "say",	  "solid"};
	bool ctx = has(c, C_PAIN) || c->expect == VA_EXPECT_PAIN;

	for (size_t i = 0; i < c->tk.n; i++) {
		size_t u = 0;
		int v;

		if (c->tk.t[i].mark || (c->tk.t[i].flags & VA_TOK_ORDINAL))
			continue;
		if (i >= 2 && tok_is(c, i - 2, "out") && tok_is(c, i - 1, "of"))
			continue;
		v = num_at(c, i, &u);
		if (v < 0 || v > 10)
			continue;
		if (tok_is(c, i + u, "out") && tok_is(c, i + u + 1, "of")) {
			size_t u2;
			int of = num_at(c, i + u + 2, &u2);

			if (of == 10 || of == 5 || of < 0) {
				c->out->pain_level = of == 5 ? v * 2 : v;
				return;
			}
		}
		if (!ctx)
			continue;
		if ((i > 0 && in_list(c->tk.t[i - 1].w, lead, N_OF(lead))) ||
		    (c->expect == VA_EXPECT_PAIN && (i == c->first || i + u == c->tk.n))) {
			c->out->pain_level = v;
			return;
		}
	}
}

static bool high_fever_number(const struct ctx *c)
{
	for (size_t i = 0; i < c->tk.n; i++) {
		size_t u = 0;
		int v = num_at(c, i, &u);

		if (v >= 102 && v <= 110)
			return true;
		if (v >= 39 && v <= 43 &&
		    (tok_is(c, i + u, "degrees") || tok_is(c, i + u, "celsius") ||
		     tok_is(c, i + u, "c")))
			return true;
	}
	return false;
}

static bool find_trigger(const struct ctx *c, const char *pat, size_t from, size_t *after);

#define SYM(s) ((uint32_t)1 << VA_SYMPTOM_##s)

static void find_symptoms(struct ctx *c)
{
	struct va_understanding *o = c->out;
	uint32_t s = 0;
	const uint32_t danger = SYM(TROUBLE_BREATHING) | SYM(TROUBLE_SWALLOWING) |
				SYM(SWELLING_EYE_OR_NECK) | SYM(UNCONTROLLED_BLEEDING) |
				SYM(HIGH_FEVER) | SYM(HEAD_INJURY);
	const uint32_t urgent = SYM(PAIN) | SYM(SWELLING) | SYM(BLEEDING) | SYM(BROKEN_TOOTH) |
				SYM(KNOCKED_OUT) | SYM(FEVER);

	find_pain_level(c);
	if (has(c, C_PAIN) || o->pain_level >= 1)
		s |= SYM(PAIN);
	if (has(c, C_SWELL))
		s |= SYM(SWELLING);
	if (has(c, C_BLEED))
		s |= SYM(BLEEDING);
	if (has(c, C_BROKEN))
		s |= SYM(BROKEN_TOOTH);
	if (has(c, C_KNOCKED))
		s |= SYM(KNOCKED_OUT);
	if (has(c, C_LOST))
		s |= SYM(LOST_FILLING_OR_CROWN);
	if (has(c, C_FEVER) || has(c, C_HIGH_FEVER))
		s |= SYM(FEVER);
	if (has(c, C_HIGH_FEVER) || (has(c, C_FEVER) && high_fever_number(c)))
		s |= SYM(HIGH_FEVER);
	if (has(c, C_T_BREATH))
		s |= SYM(TROUBLE_BREATHING);
	if (has(c, C_T_SWALLOW))
		s |= SYM(TROUBLE_SWALLOWING);
	if (has(c, C_EYE_NECK) || (has(c, C_SPREAD) && has(c, C_SWELL)))
		s |= SYM(SWELLING_EYE_OR_NECK) | SYM(SWELLING);
	if (has(c, C_NOSTOP) && has(c, C_BLEED))
		s |= SYM(UNCONTROLLED_BLEEDING);
	if (has(c, C_HEAD))
		s |= SYM(HEAD_INJURY);
	/* Gums that bleed when brushing or flossing: a checkup, not an emergency. */
	if ((s & urgent) == SYM(BLEEDING) &&
	    find_trigger(c, "brush|brushing|floss|flossing", 0, &(size_t){0})) {
		o->symptoms = s;
		return;
	}
	o->symptoms = s;
	if (s & danger)
		o->urgency = VA_URGENCY_DANGER;
	else if (s & urgent)
		o->urgency = VA_URGENCY_URGENT;
}

/* ---- insurance ---------------------------------------------------------- */

static void find_insurance(struct ctx *c)
{
	static const char *const not_guardian[] = {"a",	     "her", "his",   "legal",
						   "parent", "the", "their", "im"};
	int best = -1;
	size_t best_i = c->tk.n;

	for (size_t k = 0; k < N_OF(carriers); k++) {
		for (size_t i = 0; i < best_i; i++) {
			size_t end;

			if (!match_from(c, carriers[k].pat, i, &end))
				continue;
			if (!strcmp(carriers[k].pat, "guardian") && i > 0 &&
			    in_list(c->tk.t[i - 1].w, not_guardian, N_OF(not_guardian)))
				continue;
			best = (int)k;
			best_i = i;
			break;
		}
	}
	c->carrier_tok = best >= 0 ? (int)best_i : -1;
	if (best >= 0)
		va_strlcpy(c->out->insurance, carriers[best].name, sizeof(c->out->insurance));
	else if (has(c, C_NO_INS))
		va_strlcpy(c->out->insurance, "none", sizeof(c->out->insurance));
}

/* ---- choices and keypad digits ----------------------------------------- */

static void find_choice(struct ctx *c)
{
	static const char *const press[] = {"dial",	"hit",	"press",   "pressed",
					    "pressing", "push", "pushing", "type"};
	static const char *const pick[] = {"choice", "number", "option", "slot"};
	struct va_understanding *o = c->out;
	bool want_pick = c->expect == VA_EXPECT_CHOICE;
	size_t words = 0, lone = c->tk.n;

	for (size_t i = 0; i < c->tk.n; i++) {
		const struct va_token *t = &c->tk.t[i];
		size_t u = 0;
		int v;

		if (!is_filler(t->w) && strcmp(t->w, "please")) {
			words++;
			lone = i;
		}
		if (t->mark)
			continue;
		if (in_list(t->w, press, N_OF(press)) && i + 1 < c->tk.n) {
			v = num_at(c, i + 1, &u);
			if (v >= 0 && v <= 9 && u == 1 && c->tk.t[i + 1].len <= 5 && !o->digit)
				o->digit = (char)('0' + v);
			continue;
		}
		if (o->choice)
			continue;
		if (in_list(t->w, pick, N_OF(pick))) {
			v = num_at(c, i + 1, &u);
			if (v >= 1 && v <= 9 && !(i + 1 < c->tk.n && c->tk.t[i + 1].mark))
				o->choice = v;
			continue;
		}
		if ((t->flags & VA_TOK_ORDINAL) && t->num >= 1 && t->num <= 5) {
			bool the = i > 0 && tok_is(c, i - 1, "the");
			bool one = tok_is(c, i + 1, "one") || tok_is(c, i + 1, "option") ||
				   tok_is(c, i + 1, "choice") || tok_is(c, i + 1, "slot");
			bool bad = tok_is(c, i + 1, "time") || tok_is(c, i + 1, "thing") ||
				   tok_is(c, i + 1, "available") || tok_is(c, i + 1, "of");

			if (one || (!bad && (the || want_pick)))
				o->choice = t->num;
			continue;
		}
		if (!strcmp(t->w, "last") || !strcmp(t->w, "latter") || !strcmp(t->w, "later") ||
		    !strcmp(t->w, "earlier") || !strcmp(t->w, "former") ||
		    !strcmp(t->w, "earliest") || !strcmp(t->w, "latest")) {
			bool the = i > 0 && tok_is(c, i - 1, "the");
			bool one = tok_is(c, i + 1, "one") || tok_is(c, i + 1, "option");

			if (one || (the && (want_pick || i + 1 == c->tk.n)))
				o->choice = (t->w[0] == 'e' || t->w[0] == 'f') ? 1 : VA_CHOICE_LAST;
		}
	}
	/* A lone digit: a keypad press rendered as text, or "two" for the second. */
	if (words == 1 && lone < c->tk.n && !c->tk.t[lone].mark &&
	    (c->expect == VA_EXPECT_YES_NO || c->expect == VA_EXPECT_CHOICE)) {
		size_t u = 0;
		int v = num_at(c, lone, &u);

		if (v >= 0 && v <= 9 && u == 1 && !(c->tk.t[lone].flags & VA_TOK_ORDINAL)) {
			if (!o->digit)
				o->digit = (char)('0' + v);
			if (c->expect == VA_EXPECT_CHOICE && v >= 1 && !o->choice)
				o->choice = v;
		}
	}
}

/* ---- names -------------------------------------------------------------- */

#define NAME_PARTS 6

struct name {
	size_t tok[NAME_PARTS]; /* token of each part */
	size_t n;
	int spelled_part; /* part replaced by spelled letters, -1 */
	char spelled[32];
};

static bool ends_with(const char *w, const char *suf)
{
	size_t a = strlen(w), b = strlen(suf);

	return a > b && !memcmp(w + a - b, suf, b);
}

static bool name_tok(const struct ctx *c, size_t i, bool strict)
{
	const struct va_token *t;
	size_t wl;

	if (i >= c->tk.n)
		return false;
	t = &c->tk.t[i];
	if (t->mark || !(t->flags & VA_TOK_ALPHA) || t->num >= 0)
		return false;
	wl = strlen(t->w);
	if (wl < 2 || is_stopword(t->w) || is_negator(t->w))
		return false;
	/* "I'm calling", "I'm worried", "I'm really...": not names unless the
	 * transcript wrote them as one. */
	if (strict && !(t->flags & VA_TOK_CAP) &&
	    ((wl >= 5 && (ends_with(t->w, "ing") || ends_with(t->w, "ed"))) ||
	     (wl >= 4 && ends_with(t->w, "ly"))))
		return false;
	return true;
}

/* "Jo March", "Bill Friday": a month or weekday after a first name is a
 * surname when it was not read as a date. */
static bool surname_word(const struct ctx *c, size_t i)
{
	static const char *const days[] = {"monday", "tuesday",	 "wednesday", "thursday",
					   "friday", "saturday", "sunday"};
	const struct va_token *t = &c->tk.t[i];
	size_t k;

	if (t->mark || !(t->flags & VA_TOK_ALPHA) || (t->flags & VA_TOK_CLAUSE))
		return false;
	if (!(t->flags & VA_TOK_CAP) && c->expect != VA_EXPECT_NAME)
		return false;
	for (k = 0; k < 12; k++)
		if (!strcmp(t->w, months[k]))
			return true;
	for (k = 0; k < 7; k++)
		if (!strcmp(t->w, days[k]))
			return true;
	return false;
}

/* Reads up to 3 name words (a hyphenated name counts once) from i. */
static size_t name_run(const struct ctx *c, size_t i, bool strict, struct name *nm)
{
	size_t words = 0;

	nm->n = 0;
	while (i < c->tk.n && nm->n < NAME_PARTS &&
	       (name_tok(c, i, strict) || (nm->n > 0 && surname_word(c, i)))) {
		const struct va_token *t = &c->tk.t[i];
		bool joined = nm->n > 0 && t->punct == '-' && !(t->flags & VA_TOK_SPACE);

		if (nm->n > 0 && (t->flags & VA_TOK_CLAUSE))
			break;
		if (!joined && words == 3)
			break;
		if (!joined)
			words++;
		nm->tok[nm->n++] = i++;
	}
	return i;
}

static bool find_trigger(const struct ctx *c, const char *pat, size_t from, size_t *after)
{
	for (size_t i = from; i < c->tk.n; i++) {
		if (match_from(c, pat, i, after))
			return true;
	}
	return false;
}

/* "It's Jane, Jane Doe": the fuller repetition after a comma wins. */
static void name_repeat(const struct ctx *c, size_t end, bool strict, struct name *nm)
{
	struct name again;

	if (nm->n == 0 || end >= c->tk.n || !(c->tk.t[end].flags & VA_TOK_CLAUSE) ||
	    strcmp(c->tk.t[end].w, c->tk.t[nm->tok[0]].w))
		return;
	name_run(c, end, strict, &again);
	if (again.n > nm->n)
		*nm = again;
}

static bool name_after(const struct ctx *c, const char *pat, bool strict, bool need_cap,
		       struct name *nm)
{
	size_t from = 0, after, end;

	while (from < c->tk.n && find_trigger(c, pat, from, &after)) {
		if (after <= from)
			break;
		end = name_run(c, after, strict, nm);
		if (nm->n && (!need_cap || (c->tk.t[nm->tok[0]].flags & VA_TOK_CAP))) {
			name_repeat(c, end, strict, nm);
			return true;
		}
		from = after;
	}
	nm->n = 0;
	return false;
}

/* Letters spelled one by one ("D O E", "d-o-e"); returns the count. */
static size_t find_spelled(const struct ctx *c, char *dst, size_t dstsz)
{
	for (size_t i = 0; i < c->tk.n; i++) {
		size_t j = i, n = 0;
		bool other = false;

		while (j < c->tk.n && !c->tk.t[j].mark && (c->tk.t[j].flags & VA_TOK_ALPHA) &&
		       c->tk.t[j].len == 1 && n + 1 < dstsz) {
			dst[n++] = c->tk.t[j].w[0];
			if (c->tk.t[j].w[0] != 'i' && c->tk.t[j].w[0] != 'a')
				other = true;
			j++;
		}
		dst[n] = '\0';
		if (n >= 2 && other)
			return n;
		i = j > i ? j : i;
	}
	dst[0] = '\0';
	return 0;
}

static size_t out_put(char *dst, size_t dstsz, size_t n, char ch)
{
	if (n + 1 < dstsz)
		dst[n++] = ch;
	dst[n < dstsz ? n : dstsz - 1] = '\0';
	return n;
}

static char upper(char ch)
{
	return (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
}

static char lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
}

/* Writes one name word as it should be read back: "o'neil" -> "O'Neil";
 * a transcript's own mixed case ("McDonald") is kept. */
static size_t render_word(const struct ctx *c, const struct va_token *t, char *dst, size_t dstsz,
			  size_t n)
{
	const unsigned char *s = (const unsigned char *)c->text + t->start;
	bool keep = (t->flags & VA_TOK_MIXED) != 0;
	size_t seg_letters = 0, letters_before_quote = 0;
	bool after_quote = false;

	for (uint32_t k = 0; k < t->len; k++) {
		unsigned char ch = s[k];

		if (ch == 0xE2 && k + 2 < t->len && s[k + 1] == 0x80 &&
		    (s[k + 2] == 0x98 || s[k + 2] == 0x99)) {
			k += 2;
			ch = '\'';
		}
		if (ch == '\'' || ch == '`') {
			n = out_put(dst, n + 1 < dstsz ? dstsz : dstsz, n, '\'');
			letters_before_quote = seg_letters;
			after_quote = true;
			seg_letters = 0;
			continue;
		}
		if (ch < 0x80) {
			char o = (char)ch;

			if (seg_letters == 0 && !after_quote)
				o = upper(o);
			else if (seg_letters == 0 && after_quote && letters_before_quote == 1)
				o = upper(o); /* O'Neil, D'Angelo */
			else if (!keep)
				o = lower(o);
			n = out_put(dst, dstsz, n, o);
		} else {
			n = out_put(dst, dstsz, n, (char)ch);
		}
		seg_letters++;
	}
	return n;
}

static void render_name(const struct ctx *c, const struct name *nm, char *dst, size_t dstsz)
{
	size_t n = 0;

	dst[0] = '\0';
	for (size_t p = 0; p < nm->n; p++) {
		const struct va_token *t = &c->tk.t[nm->tok[p]];

		if (p > 0)
			n = out_put(dst, dstsz, n,
				    (t->punct == '-' && !(t->flags & VA_TOK_SPACE)) ? '-' : ' ');
		if ((int)p == nm->spelled_part) {
			for (size_t k = 0; nm->spelled[k]; k++)
				n = out_put(dst, dstsz, n,
					    k == 0 ? upper(nm->spelled[k]) : nm->spelled[k]);
		} else {
			n = render_word(c, t, dst, dstsz, n);
		}
	}
	/* Never end inside a UTF-8 sequence after truncation. */
	while (n > 0 && ((unsigned char)dst[n - 1] & 0xC0) == 0x80 && n + 1 >= dstsz)
		n--;
	if (n > 0 && (unsigned char)dst[n - 1] >= 0xC0)
		n--;
	dst[n] = '\0';
}

static void find_name(struct ctx *c)
{
	static const char *const strong[] = {
	    "my name is|was", "my names", "name is|was", "names",
	    "this is",	      "call me",  "the name is",
	};
	struct name nm;
	char spelled[32];
	size_t sn;
	bool expect_name = c->expect == VA_EXPECT_NAME;
	bool found = false;

	memset(&nm, 0, sizeof(nm));
	nm.spelled_part = -1;
	for (size_t k = 0; k < N_OF(strong) && !found; k++)
		found = name_after(c, strong[k], false, false, &nm);
	if (!found)
		found = name_after(c, "im", true, false, &nm);
	if (!found)
		found = name_after(c, "i am", true, false, &nm);
	if (!found)
		found = name_after(c, "its", !expect_name, !expect_name, &nm);
	if (!found)
		found = name_after(c, "it is", !expect_name, !expect_name, &nm);
	if (!found && !expect_name) {
		/* "Hi, Lou Reed, new patient": two or three capitalised words
		 * standing alone between commas are a name. */
		for (size_t i = c->first; i < c->tk.n && !found; i++) {
			size_t j = i;

			if (i != c->first && !(c->tk.t[i].flags & VA_TOK_CLAUSE))
				continue;
			while (j < c->tk.n && j - i < 4 && (c->tk.t[j].flags & VA_TOK_CAP) &&
			       (j == i || !(c->tk.t[j].flags & VA_TOK_CLAUSE)) &&
			       name_tok(c, j, true) && (int)j != c->carrier_tok)
				j++;
			if (j - i < 2 || j - i > 3 || j == c->tk.n ||
			    !(c->tk.t[j].flags & VA_TOK_CLAUSE))
				continue;
			name_run(c, i, true, &nm);
			found = nm.n >= 2;
			if (!found)
				memset(&nm, 0, sizeof(nm)), nm.spelled_part = -1;
		}
	}
	if (!found && expect_name) {
		for (size_t i = 0; i < c->tk.n && !found; i++) {
			size_t end;

			if (!name_tok(c, i, true))
				continue;
			end = name_run(c, i, true, &nm);
			found = nm.n > 0;
			if (found)
				name_repeat(c, end, true, &nm);
		}
	}
	nm.spelled_part = -1;
	sn = find_spelled(c, spelled, sizeof(spelled));
	if (sn && found) {
		bool same = false;
		int repl = (int)nm.n - 1;

		for (size_t p = 0; p < nm.n; p++) {
			const char *w = c->tk.t[nm.tok[p]].w;

			if (!strcmp(w, spelled))
				same = true;
			if (w[0] == spelled[0])
				repl = (int)p;
		}
		if (!same) {
			nm.spelled_part = repl;
			va_strlcpy(nm.spelled, spelled, sizeof(nm.spelled));
		}
	} else if (sn && (expect_name ||
			  find_trigger(c, "spell|spelled|spelling|spells", 0, &(size_t){0}))) {
		nm.n = 1;
		nm.tok[0] = 0;
		nm.spelled_part = 0;
		va_strlcpy(nm.spelled, spelled, sizeof(nm.spelled));
		found = true;
	}
	if (found && nm.n)
		render_name(c, &nm, c->out->name, sizeof(c->out->name));
}

/* With expect=INSURANCE, a carrier the table does not know is kept as said. */
static void insurance_as_said(struct ctx *c)
{
	static const char *const skip[] = {
	    "a",	 "by",	"called", "covered", "dental", "got", "have",	"i",   "im",
	    "insurance", "is",	"it",	  "its",     "my",     "our", "plan",	"the", "through",
	    "under",	 "use", "we",	  "with",    "yeah",   "yes", "through"};
	struct name nm;
	size_t i = 0;

	if (c->out->insurance[0] ||
	    (c->out->intents & (VA_INTENT_BIT(VA_INTENT_NO) | VA_INTENT_BIT(VA_INTENT_DONT_KNOW) |
				VA_INTENT_BIT(VA_INTENT_REPEAT) | VA_INTENT_BIT(VA_INTENT_HUMAN))))
		return;
	while (i < c->tk.n && (is_filler(c->tk.t[i].w) || in_list(c->tk.t[i].w, skip, N_OF(skip))))
		i++;
	memset(&nm, 0, sizeof(nm));
	nm.spelled_part = -1;
	while (i < c->tk.n && nm.n < 4 && !c->tk.t[i].mark && (c->tk.t[i].flags & VA_TOK_ALPHA) &&
	       !in_list(c->tk.t[i].w, skip, N_OF(skip)) &&
	       (nm.n == 0 || !(c->tk.t[i].flags & VA_TOK_CLAUSE)))
		nm.tok[nm.n++] = i++;
	for (size_t p = 0; p < nm.n; p++) {
		if (!is_stopword(c->tk.t[nm.tok[p]].w)) {
			render_name(c, &nm, c->out->insurance, sizeof(c->out->insurance));
			return;
		}
	}
}

/* ---- intents ------------------------------------------------------------ */

static bool only_words(const struct ctx *c, const char *const *set, size_t n,
		       const char *const *core, size_t ncore)
{
	bool any = false;

	if (c->tk.n == 0)
		return false;
	for (size_t i = 0; i < c->tk.n; i++) {
		if (in_list(c->tk.t[i].w, core, ncore))
			any = true;
		else if (!in_list(c->tk.t[i].w, set, n) && !is_filler(c->tk.t[i].w))
			return false;
	}
	return any;
}

/* Something said after a leading "no" that replaces what was offered. */
static bool detail_after(const struct ctx *c, size_t from)
{
	static const char *const timeish[] = {
	    "monday", "tuesday", "wednesday", "thursday", "friday",   "saturday",
	    "sunday", "morning", "afternoon", "evening",  "tomorrow", "today",
	    "next",   "week",	 "noon",      "earlier",  "later",    "am",
	    "pm",     "oclock",	 "night",     "weekend",
	};

	if (c->out->when.kind != VA_WHEN_NONE || c->out->service != VA_SERVICE_NONE ||
	    c->out->phone[0])
		return true;
	for (size_t i = from; i < c->tk.n; i++) {
		const struct va_token *t = &c->tk.t[i];

		if (in_list(t->w, timeish, N_OF(timeish)) || month_at(c, i) || t->num >= 0 ||
		    (c->expect == VA_EXPECT_NAME && name_tok(c, i, false)))
			return true;
	}
	return false;
}

static void find_intents(struct ctx *c)
{
	static const char *const rep_set[] = {"again", "come", "did", "me", "please",
					      "say",   "that", "was", "you"};
	static const char *const rep_core[] = {"excuse", "huh", "pardon", "sorry", "what", "whats"};
	static const char *const no_not[] = {"problem", "worries", "worry", "idea",
					     "clue",	"doubt",   "way"};
	struct va_understanding *o = c->out;
	uint32_t in = (uint32_t)(c->hit & ((CUE(VA_INTENT__COUNT)) - 1));
	const uint32_t other_act = VA_INTENT_BIT(VA_INTENT_RESCHEDULE) |
				   VA_INTENT_BIT(VA_INTENT_CANCEL) |
				   VA_INTENT_BIT(VA_INTENT_CONFIRM_EXISTING);
	const uint32_t asks =
	    VA_INTENT_BIT(VA_INTENT_ASK_HOURS) | VA_INTENT_BIT(VA_INTENT_ASK_LOCATION) |
	    VA_INTENT_BIT(VA_INTENT_ASK_INSURANCE) | VA_INTENT_BIT(VA_INTENT_ASK_PRICES);
	bool no_start = false;

	if ((has(c, C_INS_Q) && (c->carrier_tok >= 0 || has(c, C_INS_WORD))) || has(c, C_INS_ASK))
		in |= VA_INTENT_BIT(VA_INTENT_ASK_INSURANCE);
	if (in & (VA_INTENT_BIT(VA_INTENT_RESCHEDULE) | VA_INTENT_BIT(VA_INTENT_CANCEL)))
		in &= ~VA_INTENT_BIT(VA_INTENT_CONFIRM_EXISTING);
	if (in & other_act)
		in &= ~VA_INTENT_BIT(VA_INTENT_BOOK);
	else if (!(in & asks) && has(c, C_WANT) &&
		 (o->service != VA_SERVICE_NONE || has(c, C_CHILD)) &&
		 !(o->urgency != VA_URGENCY_NONE && !has(c, C_WANT)))
		in |= VA_INTENT_BIT(VA_INTENT_BOOK);

	/* Emergencies: said outright, or any urgent symptom, unless the caller
	 * says it is not one and nothing is dangerous. */
	if (o->urgency != VA_URGENCY_NONE &&
	    !(has_neg(c, VA_INTENT_EMERGENCY) && !has(c, VA_INTENT_EMERGENCY) &&
	      o->urgency != VA_URGENCY_DANGER))
		in |= VA_INTENT_BIT(VA_INTENT_EMERGENCY);

	if (has(c, C_YES_START) || (has(c, C_SURE) && !has_neg(c, C_SURE)))
		in |= VA_INTENT_BIT(VA_INTENT_YES);
	if (has_neg(c, VA_INTENT_YES) && !(in & VA_INTENT_BIT(VA_INTENT_YES)))
		in |= VA_INTENT_BIT(VA_INTENT_NO);
	if (has(c, C_NO_START)) {
		size_t i = c->at[C_NO_START];

		if (!(i + 1 < c->tk.n && in_list(c->tk.t[i + 1].w, no_not, N_OF(no_not)))) {
			in |= VA_INTENT_BIT(VA_INTENT_NO);
			no_start = true;
		}
	}
	if (no_start && detail_after(c, c->at[C_NO_START] + 1))
		in |= VA_INTENT_BIT(VA_INTENT_CORRECTION);
	if (has(c, C_CORR_START) && c->first + 1 < c->tk.n)
		in |= VA_INTENT_BIT(VA_INTENT_CORRECTION);
	if (only_words(c, rep_set, N_OF(rep_set), rep_core, N_OF(rep_core)))
		in |= VA_INTENT_BIT(VA_INTENT_REPEAT);
	if (in & VA_INTENT_BIT(VA_INTENT_DONT_KNOW))
		in &= ~VA_INTENT_BIT(VA_INTENT_YES);
	o->intents = in;
}

static void find_patient(struct ctx *c)
{
	bool newp = has(c, C_NEW) || has_neg(c, C_EXISTING);
	bool oldp = has(c, C_EXISTING) || has_neg(c, C_NEW);

	if (c->expect == VA_EXPECT_NEW_OR_EXISTING) {
		newp = newp || (has(c, C_NEW_BARE) && !has_neg(c, C_NEW));
		oldp = oldp || has(c, C_EXISTING_BARE);
	}
	if (newp && has(c, C_NEW))
		c->out->patient = VA_PATIENT_NEW;
	else if (oldp)
		c->out->patient = VA_PATIENT_EXISTING;
	else if (newp)
		c->out->patient = VA_PATIENT_NEW;
}

static void find_service(struct ctx *c)
{
	struct va_understanding *o = c->out;
	enum va_service_kind s = VA_SERVICE_NONE;

	if (has(c, C_S_CONSULT))
		s = VA_SERVICE_CONSULTATION;
	else if (has(c, C_S_ROOT_CANAL))
		s = VA_SERVICE_ROOT_CANAL;
	else if (has(c, C_S_EXTRACTION))
		s = VA_SERVICE_EXTRACTION;
	else if (has(c, C_S_CROWN))
		s = VA_SERVICE_CROWN;
	else if (has(c, C_S_FILLING))
		s = VA_SERVICE_FILLING;
	else if (has(c, C_S_WHITENING))
		s = VA_SERVICE_WHITENING;
	else if (has(c, C_S_CLEANING))
		s = VA_SERVICE_CLEANING;
	else if (has(c, C_S_EXAM))
		s = VA_SERVICE_EXAM;
	else if (has(c, C_S_TOPIC))
		s = VA_SERVICE_CONSULTATION;
	if (has(c, C_NP_EXAM)) {
		s = VA_SERVICE_NEW_PATIENT_EXAM;
		o->patient = VA_PATIENT_NEW;
	} else if (s == VA_SERVICE_EXAM && o->patient == VA_PATIENT_NEW) {
		s = VA_SERVICE_NEW_PATIENT_EXAM;
	}
	if (o->urgency != VA_URGENCY_NONE || has(c, VA_INTENT_EMERGENCY))
		s = VA_SERVICE_EMERGENCY;
	else if (has(c, C_CHILD) &&
		 (s == VA_SERVICE_NONE || s == VA_SERVICE_CLEANING || s == VA_SERVICE_EXAM))
		s = VA_SERVICE_CHILD_VISIT;
	o->service = s;
}

/* ---- entry point -------------------------------------------------------- */

static void mark_span(struct ctx *c, size_t start, size_t len, uint8_t m)
{
	for (size_t i = 0; i < c->tk.n; i++) {
		const struct va_token *t = &c->tk.t[i];

		if (t->start < start + len && t->start + t->len > start)
			c->tk.t[i].mark |= m;
	}
}

static void find_when(struct ctx *c, bool have_dob, size_t dob_start, size_t dob_end)
{
	struct va_when *w = &c->out->when;

	if (c->expect == VA_EXPECT_DOB)
		return;
	if (!have_dob) {
		if (va_when_parse(c->text, c->len, c->now, c->tz, w) != VA_OK)
			w->kind = VA_WHEN_NONE;
	} else {
		/* The birth date must not reach the date parser: try the text
		 * before it, then after it. */
		if (va_when_parse(c->text, dob_start, c->now, c->tz, w) != VA_OK)
			w->kind = VA_WHEN_NONE;
		if (w->kind == VA_WHEN_NONE && dob_end < c->len) {
			if (va_when_parse(c->text + dob_end, c->len - dob_end, c->now, c->tz, w) !=
			    VA_OK)
				w->kind = VA_WHEN_NONE;
			else
				w->match_start += dob_end;
		}
	}
	if (w->kind == VA_WHEN_NONE) {
		memset(w, 0, sizeof(*w));
		w->day_from_min = w->day_to_min = -1;
		return;
	}
	if (w->match_start <= c->len && w->match_len <= c->len - w->match_start)
		mark_span(c, w->match_start, w->match_len, M_WHEN);
}

static void prescan_birth(struct ctx *c)
{
	static const char *const kw[] = {"bday", "birth", "birthdate", "birthday", "born", "dob"};

	for (size_t i = 0; i < c->tk.n; i++) {
		if (in_list(c->tk.t[i].w, kw, N_OF(kw))) {
			c->hit |= CUE(C_BIRTH);
			c->at[C_BIRTH] = (uint8_t)i;
			return;
		}
	}
}

/* "push it back a week", "two days later", "an hour earlier", "move it up a
 * day", "same time next week". A quantity and unit alone ("in a week") is
 * relative to today, not to the visit, so a direction word is required. */
static void find_shift(struct ctx *c)
{
	static const char *const later[] = {"after", "back", "later", "out"};
	static const char *const earlier[] = {"before", "earlier", "forward", "sooner", "up"};
	struct va_understanding *o = c->out;

	o->same_time = find_trigger(c, "same time", c->first, &(size_t){0});
	for (size_t i = c->first; i < c->tk.n; i++) {
		const char *w = c->tk.t[i].w;
		int64_t unit = !strcmp(w, "week") || !strcmp(w, "weeks")   ? 7 * 86400
			       : !strcmp(w, "day") || !strcmp(w, "days")   ? 86400
			       : !strcmp(w, "hour") || !strcmp(w, "hours") ? 3600
									   : 0;
		int n = 0, dir = 0;
		size_t q;

		if (!unit || i == 0)
			continue;
		q = i - 1;
		if (tok_is(c, q, "a") || tok_is(c, q, "an"))
			n = 1;
		else if (tok_is(c, q, "the") && tok_is(c, i + 1, "after") &&
			 (i + 2 == c->tk.n || tok_is(c, i + 2, "please") ||
			  tok_is(c, i + 2, "instead") || tok_is(c, i + 2, "then")))
			n = 1; /* "the week after", not "the day after tomorrow" */
		else if (tok_is(c, q, "of") && q > 0 && tok_is(c, q - 1, "couple"))
			n = 2, q -= 2;
		else if (c->tk.t[q].num >= 1 && c->tk.t[q].num <= 6)
			n = c->tk.t[q].num;
		if (!n)
			continue;
		if (i + 1 < c->tk.n && in_list(c->tk.t[i + 1].w, later, N_OF(later)))
			dir = 1;
		else if (i + 1 < c->tk.n && in_list(c->tk.t[i + 1].w, earlier, N_OF(earlier)))
			dir = -1;
		/* "push it back by a week": a direction a few words before. */
		for (size_t k = q > 4 ? q - 4 : 0; !dir && k < q; k++) {
			if (in_list(c->tk.t[k].w, later, N_OF(later)) &&
			    strcmp(c->tk.t[k].w, "after"))
				dir = 1;
			else if (in_list(c->tk.t[k].w, earlier, N_OF(earlier)) &&
				 strcmp(c->tk.t[k].w, "before"))
				dir = -1;
		}
		if (dir) {
			o->shift_s = dir * n * unit;
			return;
		}
	}
}

int va_understand(const char *text, size_t len, enum va_expect expect, int64_t now,
		  const struct va_tz *tz, struct va_understanding *out)
{
	struct ctx c;
	size_t dob_start = 0, dob_end = 0;
	bool have_dob;
	int64_t days;

	if (!out)
		return VA_E_INVAL;
	memset(out, 0, sizeof(*out));
	out->pain_level = -1;
	out->when.day_from_min = out->when.day_to_min = -1;
	if (!text && len)
		return VA_E_INVAL;
	if (!text)
		text = "";

	memset(&c, 0, offsetof(struct ctx, tk));
	c.text = text;
	c.len = len;
	c.expect = expect;
	c.out = out;
	c.now = now;
	c.tz = tz;
	c.carrier_tok = -1;
	days = now / 86400 - (now % 86400 < 0);
	civil_from_days(days, &c.today_y, &c.today_m, &c.today_d);
	va_text_tokenize(text, len, &c.tk);
	while (c.first < c.tk.n && is_filler(c.tk.t[c.first].w))
		c.first++;
	index_words(&c);

	prescan_birth(&c);
	have_dob = find_dob(&c, &dob_start, &dob_end);
	if (tz)
		find_when(&c, have_dob, dob_start, dob_end);
	find_phone(&c);
	scan_rules(&c);
	if (has(&c, C_CALLER_ID) || (expect == VA_EXPECT_PHONE && has(&c, C_CALLER_ID_LOOSE)))
		out->phone_is_caller_id = true;
	find_insurance(&c);
	find_symptoms(&c);
	find_patient(&c);
	find_service(&c);
	find_intents(&c);
	find_choice(&c);
	find_name(&c);
	find_shift(&c);
	if (expect == VA_EXPECT_INSURANCE) {
		if (!out->insurance[0] && (out->intents & VA_INTENT_BIT(VA_INTENT_NO)) &&
		    !(out->intents & VA_INTENT_BIT(VA_INTENT_CORRECTION)))
			va_strlcpy(out->insurance, "none", sizeof(out->insurance));
		insurance_as_said(&c);
	}
	return VA_OK;
}
