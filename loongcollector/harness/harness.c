/*
 * A stand-in for LoongCollector's C++ core, for tests: it loads the plugin library the way the
 * core does and drives it through a script of calls.
 *
 * Usage: lc_harness <adapter.so> <plugin.so> <script> <out>
 *
 * Like LoongCollector's core it opens the
 * adapter first with RTLD_LAZY, checks PluginAdapterVersion() is 2xx or 3xx, registers its
 * send callbacks in it, then opens the plugin library with RTLD_LAZY and looks up every
 * function the core looks up; a missing one is an error. With PIPEPLUG_HARNESS_ABI=v3.3.5 it
 * plays LoongCollector v3.3.5's core instead, which looks up ProcessLogGroup and ProcessLog in
 * place of ProcessPipelineEventGroup.
 *
 * The script has one call per line (blank lines and lines starting with '#' are skipped);
 * words are separated by spaces; a file name is relative to the script's directory; "-" as a
 * file means an empty string:
 *
 *   init <json file>                                  InitPluginBaseV2
 *   load <config> <project> <logstore> <key> <json>   LoadPipeline
 *   unload <config>                                   UnloadPipeline
 *   start <config>                                    Start
 *   stop <config> <removed 0|1>                       Stop
 *   process <config> <groups file> <threads>          ProcessPipelineEventGroup: the groups
 *       (each a u32 little-endian length, then a serialized PipelineEventGroup) are shared
 *       among <threads> threads, thread t taking groups t, t + threads, ...; for v3.3.5,
 *       ProcessLogGroup with serialized sls_logs.LogGroups
 *   process_log <config> <logs file> <topic> <tags>  (v3.3.5) ProcessLog for each log of the
 *       file (u32-length-prefixed serialized sls_logs.Logs), with that topic and tags
 *       ("k1~=~v1^^^k2~=~v2"; "-" for empty); answered like process
 *   metrics <kind>                                    GetGoMetrics
 *   alarms                                            GetGoAlarms
 *   containers                                        GetAllContainers, GetDiffContainers
 *   stop_all <with_input 0|1>                         StopAllPipelines
 *   stop_builtin                                      StopBuiltInModules
 *   wait_lines <n> <seconds>                          waits until the send callback has been
 *       handed at least <n> lines (logs) in all, or <seconds> passed: a point to line up
 *       with what the library sends on its own threads (an input's first round)
 *
 * Every string and byte slice passed in is a fresh malloc'd copy of exactly its length (not
 * NUL-terminated, as Go strings are not) freed right after the call, so that a library
 * reading past it or keeping it is caught by AddressSanitizer or valgrind. Everything the
 * library returns by pointer is freed with free(), as the core does.
 *
 * <out> gets one tab-separated line per result:
 *   rc <line> <call> <return code>
 *   process <line> <calls> <non-zero answers> <first non-zero answer>
 *   metric <kind> <record index> <key> <value>      (one line per key)
 *   metrics <kind> <record count>
 *   alarm <type> <level> <message> <project> <category> <config> <count>
 *   alarms <count>
 *   containers_all <json>      containers_diff <json>
 *   wait <line> <lines sent so far> ok|timeout
 *   adapter_left <full> <invalid>   at the end: the stand-in adapter's -1 answers (asked for
 *       by PIPEPLUG_ADAPTER_FULL / _INVALID) not given, as PipeplugStandInLeft says
 * Tabs and newlines inside strings are written as spaces.
 *
 * Exit status: 0 when the whole script ran (the answers are in <out> for the caller to judge),
 * 2 on a usage, file or loading error (said on stderr).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "go_types.h"

/* The adapter's functions. */
typedef int (*IsValidToSendFun)(long long);
typedef int (*SendPbFun)(const char *, int, const char *, int, char *, int, int);
typedef int (*SendPbV2Fun)(const char *, int, const char *, int, char *, int, int, const char *,
                           int);
typedef void (*RegisterV2Fun)(IsValidToSendFun, SendPbFun, SendPbV2Fun);
typedef int (*AdapterVersionFun)(void);
typedef void (*StandInLeftFun)(long long *, long long *);

/* The plugin library's functions. */
typedef GoInt (*LoadGlobalConfigFun)(GoString);
typedef GoInt (*LoadPipelineFun)(GoString, GoString, GoString, GoInt64, GoString);
typedef GoInt (*UnloadPipelineFun)(GoString);
typedef void (*StopAllPipelinesFun)(GoInt);
typedef void (*StopFun)(GoString, GoInt);
typedef void (*StopBuiltInModulesFun)(void);
typedef void (*StartFun)(GoString);
typedef GoInt (*InitPluginBaseV2Fun)(GoString);
typedef GoInt (*ProcessPipelineEventGroupFun)(GoString, GoSlice, GoString);
typedef GoInt (*ProcessLogFun)(GoString, GoSlice, GoString, GoString, GoSlice);
typedef void *(*GetContainerMetaFun)(GoString);
typedef char *(*GetContainersFun)(void);
typedef InnerPluginMetrics *(*GetGoMetricsFun)(GoString);
typedef InnerGoAlarms *(*GetGoAlarmsFun)(void);

static struct {
    LoadGlobalConfigFun load_global_config;
    LoadPipelineFun load_pipeline;
    UnloadPipelineFun unload_pipeline;
    StopAllPipelinesFun stop_all;
    StopFun stop;
    StopBuiltInModulesFun stop_builtin;
    StartFun start;
    InitPluginBaseV2Fun init_v2;
    /* ProcessPipelineEventGroup, or v3.3.5's ProcessLogGroup (the same signature). */
    ProcessPipelineEventGroupFun process;
    /* v3.3.5 only. */
    ProcessLogFun process_log;
    GetContainerMetaFun get_container_meta;
    GetContainersFun get_all_containers;
    GetContainersFun get_diff_containers;
    GetGoMetricsFun get_metrics;
    GetGoAlarmsFun get_alarms;
} lib;

static FILE *out = NULL;
static char script_dir[4096] = ".";

/* --- the core's callbacks, registered in the adapter ------------------------------------ */

/* Lines handed to the send callback so far, for wait_lines. */
static pthread_mutex_t sent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sent_cond = PTHREAD_COND_INITIALIZER;
static long long sent_lines = 0;

static int core_is_valid_to_send(long long logstore_key) {
    (void)logstore_key;
    return 0;
}

static int core_send_pb_v2(const char *config, int config_len, const char *logstore,
                           int logstore_len, char *pb, int pb_len, int lines, const char *shard,
                           int shard_len) {
    (void)shard;
    (void)shard_len;
    /* The core rejects what it cannot route: a config name or payload that is missing. */
    if (config == NULL || config_len <= 0 || logstore == NULL || logstore_len < 0 ||
        (pb == NULL && pb_len != 0) || pb_len < 0) {
        fprintf(stderr, "[harness] SendPbV2 with a missing config name or payload\n");
        return -2;
    }
    pthread_mutex_lock(&sent_lock);
    sent_lines += lines;
    pthread_cond_broadcast(&sent_cond);
    pthread_mutex_unlock(&sent_lock);
    return 0;
}

static int core_send_pb(const char *config, int config_len, const char *logstore,
                        int logstore_len, char *pb, int pb_len, int lines) {
    return core_send_pb_v2(config, config_len, logstore, logstore_len, pb, pb_len, lines, NULL, 0);
}

/* --- helpers ----------------------------------------------------------------------------- */

static void die(const char *what, const char *detail) {
    fprintf(stderr, "[harness] %s: %s\n", what, detail);
    exit(2);
}

/* A malloc'd copy of exactly n bytes (at least one byte is allocated, so that a non-NULL
 * pointer is passed even for an empty string). */
static GoString go_string(const char *s, size_t n) {
    char *p = malloc(n == 0 ? 1 : n);
    if (p == NULL) {
        die("out of memory", "go_string");
    }
    if (n > 0) {
        memcpy(p, s, n);
    }
    GoString g = {p, (GoInt64)n};
    return g;
}

static GoString go_cstr(const char *s) { return go_string(s, strlen(s)); }

static void go_free(GoString g) { free((void *)g.p); }

/* A fresh malloc'd copy of exactly n bytes, as a GoSlice. */
static GoSlice go_slice_copy(const char *bytes, size_t n) {
    void *data = malloc(n == 0 ? 1 : n);
    if (data == NULL) {
        die("out of memory", "a slice");
    }
    memcpy(data, bytes, n);
    GoSlice slice = {data, (GoInt)n, (GoInt)n};
    return slice;
}

static void put_field(const char *s) {
    if (s == NULL) {
        fputs("NULL", out);
        return;
    }
    for (; *s != '\0'; s++) {
        fputc((*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, out);
    }
}

static char *resolve(const char *name) {
    size_t n = strlen(script_dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (path == NULL) {
        die("out of memory", "resolve");
    }
    if (name[0] == '/') {
        snprintf(path, n, "%s", name);
    } else {
        snprintf(path, n, "%s/%s", script_dir, name);
    }
    return path;
}

/* Reads a whole file ("-" is empty); *len gets its size. */
static char *read_file(const char *name, size_t *len) {
    *len = 0;
    if (strcmp(name, "-") == 0) {
        char *empty = malloc(1);
        if (empty == NULL) {
            die("out of memory", "read_file");
        }
        return empty;
    }
    char *path = resolve(name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "[harness] cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        die("out of memory", path);
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL) {
                die("out of memory", path);
            }
            buf = bigger;
        }
    }
    if (ferror(f)) {
        die("cannot read", path);
    }
    fclose(f);
    free(path);
    *len = n;
    return buf;
}

static void *need(void *handle, const char *symbol, const char *library) {
    dlerror();
    void *p = dlsym(handle, symbol);
    if (p == NULL) {
        const char *err = dlerror();
        fprintf(stderr, "[harness] %s does not export %s: %s\n", library, symbol,
                err == NULL ? "NULL" : err);
        exit(2);
    }
    return p;
}

/* --- process: several threads calling ProcessPipelineEventGroup at once -------------------- */

typedef struct {
    const char *config;
    char **groups;
    size_t *lens;
    size_t count;
    size_t first;
    size_t step;
    size_t calls;
    size_t failures;
    GoInt first_failure;
} Worker;

static void *process_worker(void *arg) {
    Worker *w = arg;
    char pack_id[32];
    snprintf(pack_id, sizeof pack_id, "%016zX", w->first + 1);
    for (size_t i = w->first; i < w->count; i += w->step) {
        GoString config = go_cstr(w->config);
        GoString pack = go_cstr(pack_id);
        GoSlice slice = go_slice_copy(w->groups[i], w->lens[i]);
        GoInt rc = lib.process(config, slice, pack);
        free(slice.data);
        go_free(config);
        go_free(pack);
        w->calls++;
        if (rc != 0) {
            if (w->failures == 0) {
                w->first_failure = rc;
            }
            w->failures++;
        }
    }
    return NULL;
}

static void bad_line(int line, const char *text);

/* Splits a file of records (each a u32 little-endian length, then that many bytes) into
 * *records / *lens (malloc'd arrays pointing into buf); returns the count. */
static size_t split_records(char *buf, size_t len, const char *file, char ***records,
                            size_t **lens) {
    size_t count = 0, cap = 64;
    char **r = malloc(cap * sizeof *r);
    size_t *l = malloc(cap * sizeof *l);
    if (r == NULL || l == NULL) {
        die("out of memory", file);
    }
    size_t at = 0;
    while (at < len) {
        if (len - at < 4) {
            die("a truncated length in", file);
        }
        const unsigned char *b = (const unsigned char *)buf + at;
        size_t n = (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 | (size_t)b[3] << 24;
        at += 4;
        if (n > len - at) {
            die("a record longer than the rest of", file);
        }
        if (count == cap) {
            cap *= 2;
            r = realloc(r, cap * sizeof *r);
            l = realloc(l, cap * sizeof *l);
            if (r == NULL || l == NULL) {
                die("out of memory", file);
            }
        }
        r[count] = buf + at;
        l[count] = n;
        count++;
        at += n;
    }
    *records = r;
    *lens = l;
    return count;
}

static void run_process(int line, const char *config, const char *file, int threads) {
    size_t len = 0;
    char *buf = read_file(file, &len);
    char **groups = NULL;
    size_t *lens = NULL;
    size_t count = split_records(buf, len, file, &groups, &lens);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    Worker *workers = calloc((size_t)threads, sizeof *workers);
    if (ids == NULL || workers == NULL) {
        die("out of memory", "threads");
    }
    for (int t = 0; t < threads; t++) {
        Worker w = {config, groups, lens, count, (size_t)t, (size_t)threads, 0, 0, 0};
        workers[t] = w;
        if (pthread_create(&ids[t], NULL, process_worker, &workers[t]) != 0) {
            die("cannot start a thread for", file);
        }
    }
    size_t calls = 0, failures = 0;
    GoInt first_failure = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        calls += workers[t].calls;
        if (workers[t].failures > 0 && failures == 0) {
            first_failure = workers[t].first_failure;
        }
        failures += workers[t].failures;
    }
    fprintf(out, "process\t%d\t%zu\t%zu\t%lld\n", line, calls, failures, first_failure);
    free(ids);
    free(workers);
    free(groups);
    free(lens);
    free(buf);
}

/* --- getters ----------------------------------------------------------------------------- */

/* process_log: ProcessLog for each log of the file, on this thread. */
static void run_process_log(int line, const char *config, const char *file, const char *topic,
                            const char *tags) {
    if (lib.process_log == NULL) {
        bad_line(line, "process_log needs PIPEPLUG_HARNESS_ABI=v3.3.5");
    }
    if (strcmp(topic, "-") == 0) {
        topic = "";
    }
    if (strcmp(tags, "-") == 0) {
        tags = "";
    }
    size_t len = 0;
    char *buf = read_file(file, &len);
    char **logs = NULL;
    size_t *lens = NULL;
    size_t count = split_records(buf, len, file, &logs, &lens);
    size_t failures = 0;
    GoInt first_failure = 0;
    for (size_t i = 0; i < count; i++) {
        GoString c = go_cstr(config);
        GoString pack = go_cstr("0000000000000001");
        GoString t = go_cstr(topic);
        GoSlice log = go_slice_copy(logs[i], lens[i]);
        GoSlice tag_bytes = go_slice_copy(tags, strlen(tags));
        GoInt rc = lib.process_log(c, log, pack, t, tag_bytes);
        free(log.data);
        free(tag_bytes.data);
        go_free(c);
        go_free(pack);
        go_free(t);
        if (rc != 0) {
            if (failures == 0) {
                first_failure = rc;
            }
            failures++;
        }
    }
    fprintf(out, "process\t%d\t%zu\t%zu\t%lld\n", line, count, failures, first_failure);
    free(logs);
    free(lens);
    free(buf);
}

static void run_metrics(const char *kind) {
    GoString k = go_cstr(kind);
    InnerPluginMetrics *metrics = lib.get_metrics(k);
    go_free(k);
    if (metrics == NULL) {
        fprintf(out, "metrics\t%s\t0\n", kind);
        return;
    }
    for (int i = 0; i < metrics->count; i++) {
        InnerPluginMetric *m = metrics->metrics[i];
        if (m == NULL) {
            continue;
        }
        for (int j = 0; j < m->count; j++) {
            InnerKeyValue *kv = m->keyValues[j];
            if (kv == NULL) {
                continue;
            }
            fprintf(out, "metric\t%s\t%d\t", kind, i);
            put_field(kv->key);
            fputc('\t', out);
            put_field(kv->value);
            fputc('\n', out);
            free(kv->key);
            free(kv->value);
            free(kv);
        }
        free(m->keyValues);
        free(m);
    }
    fprintf(out, "metrics\t%s\t%d\n", kind, metrics->count);
    free(metrics->metrics);
    free(metrics);
}

static void run_alarms(void) {
    InnerGoAlarms *alarms = lib.get_alarms();
    if (alarms == NULL) {
        fprintf(out, "alarms\t0\n");
        return;
    }
    for (int i = 0; i < alarms->count; i++) {
        InnerGoAlarm *a = alarms->alarms[i];
        if (a == NULL) {
            continue;
        }
        fputs("alarm", out);
        const char *fields[] = {a->alarmType,   a->alarmLevel, a->alarmMessage,
                                a->projectName, a->category,   a->config};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            fputc('\t', out);
            put_field(fields[f]);
        }
        fprintf(out, "\t%d\n", a->count);
        free(a->alarmType);
        free(a->alarmLevel);
        free(a->alarmMessage);
        free(a->projectName);
        free(a->category);
        free(a->config);
        free(a);
    }
    fprintf(out, "alarms\t%d\n", alarms->count);
    free(alarms->alarms);
    free(alarms);
}

static void run_containers(void) {
    char *all = lib.get_all_containers();
    fputs("containers_all\t", out);
    put_field(all);
    fputc('\n', out);
    free(all);
    char *diff = lib.get_diff_containers();
    fputs("containers_diff\t", out);
    put_field(diff);
    fputc('\n', out);
    free(diff);
}

static void run_wait_lines(int line, long long want, long long seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&sent_lock);
    int timed_out = 0;
    while (sent_lines < want && !timed_out) {
        timed_out = pthread_cond_timedwait(&sent_cond, &sent_lock, &deadline) != 0;
    }
    long long seen = sent_lines;
    pthread_mutex_unlock(&sent_lock);
    fprintf(out, "wait\t%d\t%lld\t%s\n", line, seen, seen >= want ? "ok" : "timeout");
}

/* --- the script ---------------------------------------------------------------------------- */

#define MAX_WORDS 8

static int split(char *s, char **words) {
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(s, " \t\r\n", &save); w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == MAX_WORDS) {
            return -1;
        }
        words[n++] = w;
    }
    return n;
}

static void bad_line(int line, const char *text) {
    fprintf(stderr, "[harness] script line %d: %s\n", line, text);
    exit(2);
}

static long long parse_int(int line, const char *s) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        bad_line(line, "expected a number");
    }
    return v;
}

static void run_line(int line, char **w, int n) {
    const char *cmd = w[0];
#define ARGS(k)                                                                                   \
    do {                                                                                          \
        if (n != (k) + 1) {                                                                       \
            bad_line(line, "wrong number of words for this call");                                \
        }                                                                                         \
    } while (0)
    if (strcmp(cmd, "init") == 0) {
        ARGS(1);
        size_t len;
        char *json = read_file(w[1], &len);
        GoString cfg = go_string(json, len);
        GoInt rc = lib.init_v2(cfg);
        go_free(cfg);
        free(json);
        fprintf(out, "rc\t%d\tInitPluginBaseV2\t%lld\n", line, rc);
    } else if (strcmp(cmd, "load") == 0) {
        ARGS(5);
        size_t len;
        char *json = read_file(w[5], &len);
        GoString project = go_cstr(w[2]), logstore = go_cstr(w[3]), config = go_cstr(w[1]);
        GoString pipeline = go_string(json, len);
        GoInt rc = lib.load_pipeline(project, logstore, config, parse_int(line, w[4]), pipeline);
        go_free(project);
        go_free(logstore);
        go_free(config);
        go_free(pipeline);
        free(json);
        fprintf(out, "rc\t%d\tLoadPipeline\t%lld\n", line, rc);
    } else if (strcmp(cmd, "unload") == 0) {
        ARGS(1);
        GoString config = go_cstr(w[1]);
        GoInt rc = lib.unload_pipeline(config);
        go_free(config);
        fprintf(out, "rc\t%d\tUnloadPipeline\t%lld\n", line, rc);
    } else if (strcmp(cmd, "start") == 0) {
        ARGS(1);
        GoString config = go_cstr(w[1]);
        lib.start(config);
        go_free(config);
        fprintf(out, "rc\t%d\tStart\t0\n", line);
    } else if (strcmp(cmd, "stop") == 0) {
        ARGS(2);
        GoString config = go_cstr(w[1]);
        lib.stop(config, parse_int(line, w[2]));
        go_free(config);
        fprintf(out, "rc\t%d\tStop\t0\n", line);
    } else if (strcmp(cmd, "process") == 0) {
        ARGS(3);
        long long threads = parse_int(line, w[3]);
        if (threads < 1 || threads > 256) {
            bad_line(line, "threads must be 1 to 256");
        }
        run_process(line, w[1], w[2], (int)threads);
    } else if (strcmp(cmd, "process_log") == 0) {
        ARGS(4);
        run_process_log(line, w[1], w[2], w[3], w[4]);
    } else if (strcmp(cmd, "metrics") == 0) {
        ARGS(1);
        run_metrics(w[1]);
    } else if (strcmp(cmd, "alarms") == 0) {
        ARGS(0);
        run_alarms();
    } else if (strcmp(cmd, "containers") == 0) {
        ARGS(0);
        run_containers();
    } else if (strcmp(cmd, "stop_all") == 0) {
        ARGS(1);
        lib.stop_all(parse_int(line, w[1]));
        fprintf(out, "rc\t%d\tStopAllPipelines\t0\n", line);
    } else if (strcmp(cmd, "stop_builtin") == 0) {
        ARGS(0);
        lib.stop_builtin();
        fprintf(out, "rc\t%d\tStopBuiltInModules\t0\n", line);
    } else if (strcmp(cmd, "wait_lines") == 0) {
        ARGS(2);
        run_wait_lines(line, parse_int(line, w[1]), parse_int(line, w[2]));
    } else {
        bad_line(line, "unknown call");
    }
#undef ARGS
    fflush(out);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <adapter.so> <plugin.so> <script> <out>\n", argv[0]);
        return 2;
    }
    const char *slash = strrchr(argv[3], '/');
    if (slash != NULL) {
        size_t n = (size_t)(slash - argv[3]);
        if (n >= sizeof script_dir) {
            die("script path too long", argv[3]);
        }
        memcpy(script_dir, argv[3], n);
        script_dir[n] = '\0';
    }

    /* The adapter first, as the core does; the plugin library finds it by its SONAME. */
    void *adapter = dlopen(argv[1], RTLD_LAZY);
    if (adapter == NULL) {
        die("cannot open the adapter", dlerror());
    }
    AdapterVersionFun version = (AdapterVersionFun)need(adapter, "PluginAdapterVersion", argv[1]);
    int v = version();
    if (v < 200 || v >= 400) {
        fprintf(stderr, "[harness] adapter version %d is not 2xx or 3xx\n", v);
        return 2;
    }
    RegisterV2Fun reg = (RegisterV2Fun)need(adapter, "RegisterLogtailCallBackV2", argv[1]);
    reg(core_is_valid_to_send, core_send_pb, core_send_pb_v2);

    void *plugin = dlopen(argv[2], RTLD_LAZY);
    if (plugin == NULL) {
        die("cannot open the plugin library", dlerror());
    }
    lib.load_global_config = (LoadGlobalConfigFun)need(plugin, "LoadGlobalConfig", argv[2]);
    lib.load_pipeline = (LoadPipelineFun)need(plugin, "LoadPipeline", argv[2]);
    lib.unload_pipeline = (UnloadPipelineFun)need(plugin, "UnloadPipeline", argv[2]);
    lib.stop_all = (StopAllPipelinesFun)need(plugin, "StopAllPipelines", argv[2]);
    lib.stop = (StopFun)need(plugin, "Stop", argv[2]);
    lib.stop_builtin = (StopBuiltInModulesFun)need(plugin, "StopBuiltInModules", argv[2]);
    lib.start = (StartFun)need(plugin, "Start", argv[2]);
    lib.init_v2 = (InitPluginBaseV2Fun)need(plugin, "InitPluginBaseV2", argv[2]);
    const char *abi = getenv("PIPEPLUG_HARNESS_ABI");
    if (abi != NULL && strcmp(abi, "v3.3.5") == 0) {
        lib.process = (ProcessPipelineEventGroupFun)need(plugin, "ProcessLogGroup", argv[2]);
        lib.process_log = (ProcessLogFun)need(plugin, "ProcessLog", argv[2]);
    } else if (abi != NULL && abi[0] != '\0') {
        fprintf(stderr, "[harness] PIPEPLUG_HARNESS_ABI=%s: only v3.3.5 (or nothing, main)\n", abi);
        return 2;
    } else {
        lib.process =
            (ProcessPipelineEventGroupFun)need(plugin, "ProcessPipelineEventGroup", argv[2]);
    }
    lib.get_container_meta = (GetContainerMetaFun)need(plugin, "GetContainerMeta", argv[2]);
    lib.get_all_containers = (GetContainersFun)need(plugin, "GetAllContainers", argv[2]);
    lib.get_diff_containers = (GetContainersFun)need(plugin, "GetDiffContainers", argv[2]);
    lib.get_metrics = (GetGoMetricsFun)need(plugin, "GetGoMetrics", argv[2]);
    lib.get_alarms = (GetGoAlarmsFun)need(plugin, "GetGoAlarms", argv[2]);

    out = fopen(argv[4], "w");
    if (out == NULL) {
        die("cannot create", argv[4]);
    }
    size_t len = 0;
    char *script = read_file(argv[3], &len);
    char *text = realloc(script, len + 1);
    if (text == NULL) {
        die("out of memory", argv[3]);
    }
    text[len] = '\0';
    int line = 0;
    /* strtok_r on "\n" would skip empty lines and so miscount them: walk the lines by hand. */
    char *cursor = text;
    while (cursor != NULL && *cursor != '\0') {
        char *end = strchr(cursor, '\n');
        if (end != NULL) {
            *end = '\0';
        }
        line++;
        const char *first = cursor + strspn(cursor, " \t\r");
        if (*first != '#') {
            char *words[MAX_WORDS];
            int n = split(cursor, words);
            if (n < 0) {
                bad_line(line, "too many words");
            }
            if (n > 0) {
                run_line(line, words, n);
            }
        }
        cursor = end == NULL ? NULL : end + 1;
    }
    free(text);
    /* Only our stand-in adapter has it. */
    StandInLeftFun left = (StandInLeftFun)dlsym(adapter, "PipeplugStandInLeft");
    if (left != NULL) {
        long long full = 0, invalid = 0;
        left(&full, &invalid);
        fprintf(out, "adapter_left\t%lld\t%lld\n", full, invalid);
    }
    fclose(out);
    /* The libraries stay open, as in the core, which never closes them before exit. */
    return 0;
}
