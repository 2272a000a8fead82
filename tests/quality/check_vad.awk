# SPDX-License-Identifier: MIT
# check_vad.awk - asserts the floors of issue 7 on `voiceai vad-eval --json`
# output (one JSON object per SNR level). The F1 floors are the best
# baseline of FORMAT.md in each column (WebRTC, speexdsp, adaptive energy),
# to be beaten, not matched. Exit status 1 when any floor is missed.
#
#   frame F1     > 0.966 clean, 0.950 at 20 dB, 0.916 at 10, 0.902 at 5,
#                  0.864 at 0, each with a false-alarm rate <= 0.15
#   end of turn  (clean, 20, 10 dB) no cut-off, no missed turn, mean
#                  latency <= 900 ms
#   barge-in     (clean, 20, 10 dB) onset <= 150 ms, < 1 false onset/min

function num(key,    re, s) {
	re = "\"" key "\":-?[0-9.]+"
	if (!match($0, re)) {
		printf "vad-quality: no %s in: %s\n", key, $0
		bad++
		return -1
	}
	s = substr($0, RSTART, RLENGTH)
	sub(/^"[^"]*":/, "", s)
	return s + 0
}

function fail(what) {
	printf "vad-quality: FAIL at SNR %s: %s\n", snr, what
	bad++
}

BEGIN {
	floor["inf"] = 0.966; floor["20"] = 0.950; floor["10"] = 0.916
	floor["5"] = 0.902; floor["0"] = 0.864
	strict["inf"] = 1; strict["20"] = 1; strict["10"] = 1
}

/^\{/ {
	if (!match($0, /"snr":"[^"]*"/)) { fail("no snr"); next }
	snr = substr($0, RSTART + 7, RLENGTH - 8)
	seen[snr] = 1
	f1 = num("f1"); far = num("far")
	if (snr in floor && !(f1 > floor[snr]))
		fail(sprintf("F1 %.4f not above %.3f", f1, floor[snr]))
	if (far > 0.15)
		fail(sprintf("false-alarm rate %.4f above 0.15", far))
	if (snr in strict) {
		if (num("cutoffs") != 0) fail(num("cutoffs") " end-of-turn cut-offs inside turns")
		if (num("missed") != 0) fail(num("missed") " turns missed")
		lat = num("eot_latency_ms")
		if (lat < 0 || lat > 900) fail(sprintf("end-of-turn latency %.0f ms", lat))
		on = num("onset_ms")
		if (on < 0 || on > 150) fail(sprintf("barge-in onset %.0f ms", on))
		if (!(num("false_onsets_per_min") < 1))
			fail(sprintf("%.2f false onsets per minute", num("false_onsets_per_min")))
	}
}

END {
	for (s in floor)
		if (!(s in seen)) { snr = s; fail("level missing from the output") }
	if (bad) exit 1
	print "vad-quality: every floor met"
}
