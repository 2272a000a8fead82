/* SPDX-License-Identifier: MIT */
/*
 * worker.c - the storage thread: a bounded FIFO of jobs consumed by one
 * pthread, with completions handed back to the loop thread through a
 * uv_async_t (Janus's handler thread, libuv's uv_queue_work). It knows nothing
 * about SQL; store_sqlite.c supplies the jobs.
 *
 * The async handle is referenced only while jobs are pending, so like
 * uv_queue_work an idle store does not keep the loop alive, and a loop run
 * with UV_RUN_DEFAULT returns once every completion has been delivered.
 */
#include "store/store_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void *worker_main(void *arg)
{
	struct va_store_worker *w = arg;

	for (;;) {
		struct va_store_job *j;

		pthread_mutex_lock(&w->mu);
		while (!w->queue_head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		j = w->queue_head;
		if (!j) {
			/* Stopping, and the queue is empty: every job has run. */
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->queue_head = j->next;
		if (!w->queue_head)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->mu);

		j->next = NULL;
		w->exec(w->ctx, j);

		pthread_mutex_lock(&w->mu);
		if (w->done_tail)
			w->done_tail->next = j;
		else
			w->done_head = j;
		w->done_tail = j;
		pthread_mutex_unlock(&w->mu);
		/* Thread-safe, and coalesces: one callback may drain many jobs. */
		uv_async_send(w->async);
	}
	return NULL;
}

/* Loop thread. The list is detached first so that callbacks may queue new
 * jobs (and the storage thread add completions) while we deliver. */
static void deliver_done(struct va_store_worker *w)
{
	struct va_store_job *j;

	pthread_mutex_lock(&w->mu);
	j = w->done_head;
	w->done_head = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mu);

	while (j) {
		struct va_store_job *next = j->next;

		w->pending--;
		/* Before the callback, which may submit again (and re-reference). */
		if (w->pending == 0)
			uv_unref((uv_handle_t *)w->async);
		j->complete(j);
		j = next;
	}
}

static void on_async(uv_async_t *h)
{
	deliver_done(h->data);
}

static void on_async_closed(uv_handle_t *h)
{
	free(h);
}

int va_store__worker_start(struct va_store_worker *w, uv_loop_t *loop, size_t max_pending,
			   void (*exec)(void *ctx, struct va_store_job *j), void *ctx)
{
	sigset_t all, old;
	int rc = VA_OK;
	int err;

	memset(w, 0, sizeof(*w));
	w->exec = exec;
	w->ctx = ctx;
	w->max_pending = max_pending;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);

	w->async = va_xcalloc(1, sizeof(*w->async));
	err = uv_async_init(loop, w->async, on_async);
	if (err) {
		VA_ERROR("store", NULL, "worker_start", "err=%s", uv_err_name(err));
		free(w->async);
		w->async = NULL;
		rc = VA_E_IO;
		goto out;
	}
	w->async->data = w;
	uv_unref((uv_handle_t *)w->async);

	/* Signals belong to the loop thread; the storage thread never takes one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		VA_ERROR("store", NULL, "worker_start", "err=%s", strerror(err));
		uv_close((uv_handle_t *)w->async, on_async_closed);
		w->async = NULL;
		rc = VA_E_IO;
		goto out;
	}
out:
	if (rc) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	return rc;
}

int va_store__worker_submit(struct va_store_worker *w, struct va_store_job *j)
{
	if (w->closing)
		return VA_E_CLOSED;
	if (w->pending >= w->max_pending)
		return VA_E_FULL;

	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->queue_tail)
		w->queue_tail->next = j;
	else
		w->queue_head = j;
	w->queue_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);

	if (w->pending++ == 0)
		uv_ref((uv_handle_t *)w->async);
	return VA_OK;
}

void va_store__worker_stop(struct va_store_worker *w)
{
	w->closing = true;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);

	/* The thread ran every queued job before exiting; hand the results over
	 * here rather than through the loop, which may never run again. */
	deliver_done(w);
	if (w->pending != 0)
		VA_ERROR("store", NULL, "worker_stop", "lost=%zu", w->pending);

	/* The handle outlives us until its close callback frees it. */
	uv_close((uv_handle_t *)w->async, on_async_closed);
	w->async = NULL;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}
