/* SPDX-License-Identifier: MIT */
/* radicale.c - start, stop and talk to a throwaway Radicale (radicale.h). */
#include "radicale.h"
#include "harness.h"
#include "sim/client.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void spawn(struct it_radicale *r)
{
	char conf[320];

	snprintf(conf, sizeof(conf), "%s/config", r->dir);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setsid();
		/* --config replaces the default search path, so the Debian
		 * config (remote_user auth) is not read. */
		execlp("radicale", "radicale", "--config", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		int st = 0;

		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			fail_msg("radicale exited at start (installed? log: %s)", r->log);
		}
		if (it_dav(r, NULL, "OPTIONS", "/", NULL, NULL, NULL, NULL) > 0)
			return;
		usleep(25000);
	}
	fail_msg("radicale did not answer (log: %s)", r->log);
}

void it_radicale_start(struct it_radicale *r)
{
	char path[320], conf[2048];

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/voiceai-radicale-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	r->port = it_free_port();
	snprintf(r->base, sizeof(r->base), "http://127.0.0.1:%d", r->port);
	snprintf(r->log, sizeof(r->log), "%s/radicale.log", r->dir);
	snprintf(conf, sizeof(conf),
		 "[server]\nhosts = 127.0.0.1:%d\nmax_connections = 16\ntimeout = 30\n"
		 "[auth]\ntype = htpasswd\nhtpasswd_filename = %s/users\n"
		 "htpasswd_encryption = plain\ndelay = 0\n"
		 "[rights]\ntype = owner_only\n"
		 "[storage]\ntype = multifilesystem\nfilesystem_folder = %s/collections\n"
		 "[web]\ntype = none\n"
		 "[logging]\nlevel = info\nmask_passwords = True\n",
		 r->port, r->dir, r->dir);
	snprintf(path, sizeof(path), "%s/config", r->dir);
	write_file(path, conf);
	snprintf(path, sizeof(path), "%s/users", r->dir);
	write_file(path, "dentist:secret\nother:other\n");
	spawn(r);
}

void it_radicale_restart(struct it_radicale *r)
{
	if (r->pid > 0)
		it_radicale_stop(r);
	spawn(r);
}

void it_radicale_stop(struct it_radicale *r)
{
	int st;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			return;
		}
		usleep(25000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	r->pid = 0;
}

void it_radicale_cleanup(struct it_radicale *r)
{
	char cmd[400];

	it_radicale_stop(r);
	if (r->dir[0] && strncmp(r->dir, "/tmp/voiceai-radicale-", 22) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", r->dir);
	}
}

int it_dav(struct it_radicale *r, const char *user, const char *method, const char *path,
	   const char *extra, const char *body, struct va_buf *resp, struct va_buf *headers)
{
	struct va_buf scratch = VA_BUF_INIT(8u << 20);
	char url[600], hdrs[2048], plain[64];
	unsigned char b64[128];
	int status = 0;

	if (strncmp(path, "http", 4) == 0)
		snprintf(url, sizeof(url), "%s", path);
	else
		snprintf(url, sizeof(url), "%s%s", r->base, path);
	hdrs[0] = '\0';
	if (user) {
		snprintf(plain, sizeof(plain), "%s:%s", user,
			 strcmp(user, "dentist") == 0 ? "secret" : user);
		EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)strlen(plain));
		snprintf(hdrs, sizeof(hdrs), "Authorization: Basic %s\r\n", (const char *)b64);
	}
	if (body)
		strncat(hdrs,
			strstr(body, "BEGIN:VCALENDAR") ? "Content-Type: text/calendar\r\n"
							: "Content-Type: application/xml\r\n",
			sizeof(hdrs) - strlen(hdrs) - 1);
	if (extra)
		strncat(hdrs, extra, sizeof(hdrs) - strlen(hdrs) - 1);
	if (va_sim_http(method, url, hdrs, body, body ? strlen(body) : 0, 5000, &status,
			resp ? resp : &scratch, headers) != 0)
		status = -1;
	va_buf_release(&scratch);
	return status;
}

void it_dav_mkcalendar(struct it_radicale *r, const char *user, const char *path)
{
	int st = it_dav(r, user, "MKCALENDAR", path, NULL, NULL, NULL, NULL);

	if (st != 201)
		fail_msg("MKCALENDAR %s: %d", path, st);
}

int it_radicale_log_count(const struct it_radicale *r, const char *needle)
{
	return it_file_count(r->log, needle);
}
