/*
 * A stand-in for LoongCollector's Go plugin library (`libGoPluginBase.so`), for tests: it
 * exports the functions the core looks up, with the same C types, records every call with its
 * arguments, and answers the getters with fixed, recognisable values. It is what a test of
 * pipeplug's forward mode puts where the real Go library would be, and it lets the harness be
 * checked on its own (every argument arrives unchanged, everything returned is freed).
 *
 * Build: cc -shared -fPIC -o libGoPluginBase.so golib.c -lpthread
 *
 * Environment, read at the first call:
 *   PIPEPLUG_GOLIB_RECORD=<file>  one line per call appended to <file>: the function's name,
 *       then its arguments, each after a tab. Strings are written with \\, \t, \n and \r
 *       escaped as those two-character sequences; byte slices as lowercase hex; integers in
 *       decimal.
 *   PIPEPLUG_GOLIB_ANSWER=<n>     what the functions returning a GoInt answer (default 0).
 *
 * Getters: GetGoMetrics(kind) gives one record {"label.plugin_library": "go-stand-in",
 * "label.kind": kind, "value.calls": <calls so far>}; GetGoAlarms one alarm of type
 * GO_STAND_IN_ALARM (level "1", message "from the stand-in Go library", count 1);
 * GetAllContainers {"All":[{"ID":"stand-in-1","Name":"stand-in"}]}; GetDiffContainers
 * {"Update":[],"Delete":["stand-in-0"],"Stop":[]}; GetContainerMeta NULL. All malloc'd, for
 * the caller to free with free().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_types.h"

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_configured = 0;
static FILE *g_record = NULL;
static GoInt g_answer = 0;
static long long g_calls = 0;

/* Called with g_lock held. */
static void configure_locked(void) {
    if (g_configured) {
        return;
    }
    g_configured = 1;
    const char *answer = getenv("PIPEPLUG_GOLIB_ANSWER");
    if (answer != NULL && *answer != '\0') {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(answer, &end, 10);
        if (errno == 0 && *end == '\0') {
            g_answer = n;
        } else {
            fprintf(stderr, "[stand-in Go library] PIPEPLUG_GOLIB_ANSWER=%s is not a number\n",
                    answer);
        }
    }
    const char *path = getenv("PIPEPLUG_GOLIB_RECORD");
    if (path != NULL && *path != '\0') {
        g_record = fopen(path, "ab");
        if (g_record == NULL) {
            fprintf(stderr, "[stand-in Go library] cannot open PIPEPLUG_GOLIB_RECORD=%s: %s\n", path,
                    strerror(errno));
        }
    }
}

/* Starts a record line: takes the lock (released by end_call). */
static void begin_call(const char *name) {
    pthread_mutex_lock(&g_lock);
    configure_locked();
    g_calls++;
    if (g_record != NULL) {
        fputs(name, g_record);
    }
}

static void end_call(void) {
    if (g_record != NULL) {
        fputc('\n', g_record);
        fflush(g_record);
    }
    pthread_mutex_unlock(&g_lock);
}

static void arg_string(GoString s) {
    if (g_record == NULL) {
        return;
    }
    fputc('\t', g_record);
    for (GoInt64 i = 0; i < s.n; i++) {
        char c = s.p[i];
        switch (c) {
        case '\\': fputs("\\\\", g_record); break;
        case '\t': fputs("\\t", g_record); break;
        case '\n': fputs("\\n", g_record); break;
        case '\r': fputs("\\r", g_record); break;
        default: fputc(c, g_record);
        }
    }
}

static void arg_int(GoInt v) {
    if (g_record != NULL) {
        fprintf(g_record, "\t%lld", v);
    }
}

static void arg_bytes(GoSlice s) {
    if (g_record == NULL) {
        return;
    }
    fputc('\t', g_record);
    const unsigned char *b = s.data;
    for (GoInt i = 0; i < s.len; i++) {
        fprintf(g_record, "%02x", b[i]);
    }
}

static char *dup_or_die(const char *s) {
    char *d = strdup(s);
    if (d == NULL) {
        fputs("[stand-in Go library] out of memory\n", stderr);
        abort();
    }
    return d;
}

static void *alloc_or_die(size_t n) {
    void *p = calloc(1, n);
    if (p == NULL) {
        fputs("[stand-in Go library] out of memory\n", stderr);
        abort();
    }
    return p;
}

EXPORT GoInt InitPluginBase(void) {
    begin_call("InitPluginBase");
    end_call();
    return g_answer;
}

EXPORT GoInt InitPluginBaseV2(GoString config) {
    begin_call("InitPluginBaseV2");
    arg_string(config);
    end_call();
    return g_answer;
}

EXPORT GoInt LoadGlobalConfig(GoString config) {
    begin_call("LoadGlobalConfig");
    arg_string(config);
    end_call();
    return g_answer;
}

EXPORT GoInt LoadPipeline(GoString project, GoString logstore, GoString config_name,
                          GoInt64 logstore_key, GoString pipeline) {
    begin_call("LoadPipeline");
    arg_string(project);
    arg_string(logstore);
    arg_string(config_name);
    arg_int(logstore_key);
    arg_string(pipeline);
    end_call();
    return g_answer;
}

EXPORT GoInt UnloadPipeline(GoString config_name) {
    begin_call("UnloadPipeline");
    arg_string(config_name);
    end_call();
    return g_answer;
}

EXPORT void Start(GoString config_name) {
    begin_call("Start");
    arg_string(config_name);
    end_call();
}

EXPORT void Stop(GoString config_name, GoInt removed) {
    begin_call("Stop");
    arg_string(config_name);
    arg_int(removed);
    end_call();
}

EXPORT void StopAllPipelines(GoInt with_input) {
    begin_call("StopAllPipelines");
    arg_int(with_input);
    end_call();
}

EXPORT void StopBuiltInModules(void) {
    begin_call("StopBuiltInModules");
    end_call();
}

EXPORT GoInt ProcessPipelineEventGroup(GoString config_name, GoSlice group, GoString pack_id) {
    begin_call("ProcessPipelineEventGroup");
    arg_string(config_name);
    arg_bytes(group);
    arg_string(pack_id);
    end_call();
    return g_answer;
}

/* LoongCollector v3.3.5's ways in (its Go library has them instead of
 * ProcessPipelineEventGroup; the stand-in has all three). */
EXPORT GoInt ProcessLogGroup(GoString config_name, GoSlice log_group, GoString pack_id) {
    begin_call("ProcessLogGroup");
    arg_string(config_name);
    arg_bytes(log_group);
    arg_string(pack_id);
    end_call();
    return g_answer;
}

EXPORT GoInt ProcessLog(GoString config_name, GoSlice log, GoString pack_id, GoString topic,
                        GoSlice tags) {
    begin_call("ProcessLog");
    arg_string(config_name);
    arg_bytes(log);
    arg_string(pack_id);
    arg_string(topic);
    arg_bytes(tags);
    end_call();
    return g_answer;
}

EXPORT void *GetContainerMeta(GoString container_id) {
    begin_call("GetContainerMeta");
    arg_string(container_id);
    end_call();
    return NULL;
}

EXPORT char *GetAllContainers(void) {
    begin_call("GetAllContainers");
    end_call();
    return dup_or_die("{\"All\":[{\"ID\":\"stand-in-1\",\"Name\":\"stand-in\"}]}");
}

EXPORT char *GetDiffContainers(void) {
    begin_call("GetDiffContainers");
    end_call();
    return dup_or_die("{\"Update\":[],\"Delete\":[\"stand-in-0\"],\"Stop\":[]}");
}

static InnerKeyValue *key_value(const char *key, const char *value) {
    InnerKeyValue *kv = alloc_or_die(sizeof *kv);
    kv->key = dup_or_die(key);
    kv->value = dup_or_die(value);
    return kv;
}

EXPORT InnerPluginMetrics *GetGoMetrics(GoString kind) {
    begin_call("GetGoMetrics");
    arg_string(kind);
    long long calls = g_calls;
    end_call();
    char kind_text[64];
    size_t n = kind.n < 0 ? 0 : (size_t)kind.n;
    if (n >= sizeof kind_text) {
        n = sizeof kind_text - 1;
    }
    memcpy(kind_text, kind.p, n);
    kind_text[n] = '\0';
    char calls_text[32];
    snprintf(calls_text, sizeof calls_text, "%lld", calls);

    InnerPluginMetric *m = alloc_or_die(sizeof *m);
    m->count = 3;
    m->keyValues = alloc_or_die(3 * sizeof *m->keyValues);
    m->keyValues[0] = key_value("label.plugin_library", "go-stand-in");
    m->keyValues[1] = key_value("label.kind", kind_text);
    m->keyValues[2] = key_value("value.calls", calls_text);
    InnerPluginMetrics *all = alloc_or_die(sizeof *all);
    all->count = 1;
    all->metrics = alloc_or_die(sizeof *all->metrics);
    all->metrics[0] = m;
    return all;
}

EXPORT InnerGoAlarms *GetGoAlarms(void) {
    begin_call("GetGoAlarms");
    end_call();
    InnerGoAlarm *a = alloc_or_die(sizeof *a);
    a->alarmType = dup_or_die("GO_STAND_IN_ALARM");
    a->alarmLevel = dup_or_die("1");
    a->alarmMessage = dup_or_die("from the stand-in Go library");
    a->projectName = dup_or_die("");
    a->category = dup_or_die("");
    a->config = dup_or_die("");
    a->count = 1;
    InnerGoAlarms *all = alloc_or_die(sizeof *all);
    all->count = 1;
    all->alarms = alloc_or_die(sizeof *all->alarms);
    all->alarms[0] = a;
    return all;
}

__attribute__((destructor)) static void close_record(void) {
    pthread_mutex_lock(&g_lock);
    if (g_record != NULL) {
        fclose(g_record);
        g_record = NULL;
    }
    pthread_mutex_unlock(&g_lock);
}
