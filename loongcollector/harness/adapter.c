/*
 * A stand-in for LoongCollector's `libGoPluginAdapter.so`, for tests.
 *
 * LoongCollector's C++ core opens this library first, registers its send callbacks in it, and
 * then opens the plugin library, which reaches back into the core only through the functions
 * below. This stand-in exports the same functions with the same C types, and in addition
 * records what it is sent, so that a test can check every event arrived exactly once.
 *
 * Build: cc -shared -fPIC -Wl,-soname,libGoPluginAdapter.so -o libGoPluginAdapter.so adapter.c -lpthread
 *
 * Behaviour, set by environment variables read at the first call:
 *   PIPEPLUG_ADAPTER_RECORD=<file>  every accepted send is appended to <file>, as
 *       u32 config length, config, u32 logstore length, logstore, u32 shard hash length,
 *       shard hash, u32 lines, u32 payload length, payload (an sls_logs.LogGroup);
 *       all integers little-endian.
 *   PIPEPLUG_ADAPTER_FULL=<N>       the first N send calls answer -1 ("queue full, retry").
 *   PIPEPLUG_ADAPTER_INVALID=<N>    the first N LogtailIsValidToSend calls answer -1.
 * After those checks the callback the host registered (if any) is called; a non-zero answer
 * from it is returned and nothing is recorded. Without a registered callback a send is
 * accepted (the real adapter answers -1 then; a harness that registers none still works).
 *
 * Every function is thread-safe: the plugin library calls them from its own threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*IsValidToSendFun)(long long logstoreKey);
typedef int (*SendPbFun)(const char *configName, int configNameSize, const char *logstore,
                         int logstoreSize, char *pbBuffer, int pbSize, int lines);
typedef int (*SendPbV2Fun)(const char *configName, int configNameSize, const char *logstore,
                           int logstoreSize, char *pbBuffer, int pbSize, int lines,
                           const char *shardHash, int shardHashSize);

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_configured = 0;
static FILE *g_record = NULL;
static long long g_full_left = 0;
static long long g_invalid_left = 0;
static IsValidToSendFun g_is_valid = NULL;
static SendPbFun g_send_v1 = NULL;
static SendPbV2Fun g_send_v2 = NULL;

static long long env_count(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || *value == '\0') {
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0) {
        fprintf(stderr, "[stand-in adapter] %s=%s is not a count; using 0\n", name, value);
        return 0;
    }
    return n;
}

/* Called with g_lock held. */
static void configure_locked(void) {
    if (g_configured) {
        return;
    }
    g_configured = 1;
    g_full_left = env_count("PIPEPLUG_ADAPTER_FULL");
    g_invalid_left = env_count("PIPEPLUG_ADAPTER_INVALID");
    const char *path = getenv("PIPEPLUG_ADAPTER_RECORD");
    if (path != NULL && *path != '\0') {
        g_record = fopen(path, "ab");
        if (g_record == NULL) {
            fprintf(stderr, "[stand-in adapter] cannot open PIPEPLUG_ADAPTER_RECORD=%s: %s\n", path,
                    strerror(errno));
        }
    }
}

static void put_u32(FILE *f, uint32_t v) {
    unsigned char b[4] = {(unsigned char)(v & 0xff), (unsigned char)((v >> 8) & 0xff),
                          (unsigned char)((v >> 16) & 0xff), (unsigned char)((v >> 24) & 0xff)};
    fwrite(b, 1, sizeof b, f);
}

static void put_bytes(FILE *f, const char *p, int n) {
    if (p == NULL || n < 0) {
        n = 0;
    }
    put_u32(f, (uint32_t)n);
    if (n > 0) {
        fwrite(p, 1, (size_t)n, f);
    }
}

EXPORT void RegisterLogtailCallBack(IsValidToSendFun checkFun, SendPbFun sendFun) {
    pthread_mutex_lock(&g_lock);
    g_is_valid = checkFun;
    g_send_v1 = sendFun;
    pthread_mutex_unlock(&g_lock);
}

EXPORT void RegisterLogtailCallBackV2(IsValidToSendFun checkFun, SendPbFun sendV1Fun,
                                      SendPbV2Fun sendV2Fun) {
    pthread_mutex_lock(&g_lock);
    g_is_valid = checkFun;
    g_send_v1 = sendV1Fun;
    g_send_v2 = sendV2Fun;
    pthread_mutex_unlock(&g_lock);
}

EXPORT int LogtailIsValidToSend(long long logstoreKey) {
    pthread_mutex_lock(&g_lock);
    configure_locked();
    IsValidToSendFun check = g_is_valid;
    int answer = 0;
    if (g_invalid_left > 0) {
        g_invalid_left--;
        answer = -1;
    }
    pthread_mutex_unlock(&g_lock);
    if (answer == 0 && check != NULL) {
        answer = check(logstoreKey);
    }
    return answer;
}

/* One send, V1 or V2; shardHash is NULL for V1. */
static int send_common(const char *configName, int configNameSize, const char *logstore,
                       int logstoreSize, char *pbBuffer, int pbSize, int lines,
                       const char *shardHash, int shardHashSize, int v2) {
    if (pbSize < 0 || (pbSize > 0 && pbBuffer == NULL) || configNameSize < 0 || logstoreSize < 0 ||
        shardHashSize < 0) {
        fprintf(stderr, "[stand-in adapter] send with a bad buffer or size\n");
        return -2;
    }
    /* The lock is held across the callback and the write so that records are whole and in
     * the order the sends were accepted. */
    pthread_mutex_lock(&g_lock);
    configure_locked();
    int answer = 0;
    if (g_full_left > 0) {
        g_full_left--;
        answer = -1;
    } else if (v2 && g_send_v2 != NULL) {
        answer = g_send_v2(configName, configNameSize, logstore, logstoreSize, pbBuffer, pbSize,
                           lines, shardHash, shardHashSize);
    } else if (!v2 && g_send_v1 != NULL) {
        answer = g_send_v1(configName, configNameSize, logstore, logstoreSize, pbBuffer, pbSize,
                           lines);
    }
    if (answer == 0 && g_record != NULL) {
        put_bytes(g_record, configName, configNameSize);
        put_bytes(g_record, logstore, logstoreSize);
        put_bytes(g_record, shardHash, shardHash == NULL ? 0 : shardHashSize);
        put_u32(g_record, (uint32_t)lines);
        put_bytes(g_record, pbBuffer, pbSize);
        if (fflush(g_record) != 0 || ferror(g_record)) {
            /* Said once; the test then finds the record short and shows this. */
            static int told = 0;
            if (!told) {
                told = 1;
                fprintf(stderr, "[stand-in adapter] cannot write the record: %s\n",
                        strerror(errno));
            }
        }
    }
    pthread_mutex_unlock(&g_lock);
    return answer;
}

EXPORT int LogtailSendPb(const char *configName, int configNameSize, const char *logstore,
                         int logstoreSize, char *pbBuffer, int pbSize, int lines) {
    return send_common(configName, configNameSize, logstore, logstoreSize, pbBuffer, pbSize, lines,
                       NULL, 0, 0);
}

EXPORT int LogtailSendPbV2(const char *configName, int configNameSize, const char *logstore,
                           int logstoreSize, char *pbBuffer, int pbSize, int lines,
                           const char *shardHash, int shardHashSize) {
    return send_common(configName, configNameSize, logstore, logstoreSize, pbBuffer, pbSize, lines,
                       shardHash, shardHashSize, 1);
}

/* Not in the real adapter, for the harness: how many of the -1 answers asked for by
 * PIPEPLUG_ADAPTER_FULL and PIPEPLUG_ADAPTER_INVALID are still to be given, so that a test
 * can check the library met them all. */
EXPORT void PipeplugStandInLeft(long long *full_left, long long *invalid_left) {
    pthread_mutex_lock(&g_lock);
    configure_locked();
    *full_left = g_full_left;
    *invalid_left = g_invalid_left;
    pthread_mutex_unlock(&g_lock);
}

/* 300: the version of LoongCollector's main that added LogtailSendPbV2. */
EXPORT int PluginAdapterVersion(void) { return 300; }

/* Closes the record when the library is unloaded or the process exits. */
__attribute__((destructor)) static void close_record(void) {
    pthread_mutex_lock(&g_lock);
    if (g_record != NULL) {
        fclose(g_record);
        g_record = NULL;
    }
    pthread_mutex_unlock(&g_lock);
}
