/* The baseline of the lint benchmark: libpg_query's bare parse of a whole
 * script, with nothing of stepwise around it.
 *
 *     bare_parse FILE [RUNS]
 *
 * Times pg_query_parse() (the parse tree as JSON, libpg_query's plain
 * "parse") and, for reference, pg_query_parse_protobuf() (the parse tree
 * as protobuf, which is what stepwise itself calls), each the best of RUNS
 * runs (default 5), the call and the freeing of its result included; and
 * pg_query_parse_protobuf() followed by unpacking the tree into C structs
 * (protobuf-c, into an arena freed at once, as stepwise does before it
 * reads a tree): the floor of any program that analyses the tree through
 * libpg_query's public API.
 * Prints one line per measurement:
 *
 *     bytes    16137406
 *     json     0.594000 s 27.17 MB/s (tree: 82262449 bytes)
 *     protobuf 1.437000 s 11.23 MB/s (tree: 25137560 bytes)
 *     unpacked 1.800000 s  8.97 MB/s (structs: 123456789 bytes)
 *     rss      508796 kB
 *
 * (MB = 10^6 bytes; rss is this process's peak resident set size.)
 * Exits 1 when the script does not parse: the benchmark would then time
 * the error path, not the parser. */
#define _POSIX_C_SOURCE 200809L

#include <pg_query.h>
#include <stddef.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(fp);
    if (buf) {
        buf[len] = '\0';
        *size = len;
    }
    return buf;
}

static double time_json(const char *text, size_t *out_len)
{
    double t0 = now();
    PgQueryParseResult r = pg_query_parse(text);
    double t1;
    if (r.error) {
        fprintf(stderr, "bare_parse: the script does not parse: %s (at character %d)\n",
                r.error->message, r.error->cursorpos);
        exit(1);
    }
    *out_len = strlen(r.parse_tree);
    pg_query_free_parse_result(r);
    t1 = now();
    return t1 - t0;
}

static double time_protobuf(const char *text, size_t *out_len)
{
    double t0 = now();
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
    double t1;
    if (r.error) {
        fprintf(stderr, "bare_parse: the script does not parse: %s (at character %d)\n",
                r.error->message, r.error->cursorpos);
        exit(1);
    }
    *out_len = r.parse_tree.len;
    pg_query_free_protobuf_parse_result(r);
    t1 = now();
    return t1 - t0;
}

/* A bump allocator for the unpacked tree: blocks of 1 MiB or more, all
 * freed at once; protobuf-c's frees of single messages do nothing. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

static void *arena_alloc(void *data, size_t size)
{
    arena_block **head = data;
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block *b = *head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > (1u << 20) ? size : (1u << 20);
        b = malloc(sizeof *b + cap);
        if (!b) {
            fprintf(stderr, "bare_parse: out of memory\n");
            exit(1);
        }
        b->next = *head;
        b->used = 0;
        b->size = cap;
        *head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free(void *data, void *pointer)
{
    (void)data;
    (void)pointer;
}

static double time_unpacked(const char *text, size_t *messages_bytes)
{
    double t0 = now();
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
    if (r.error) {
        fprintf(stderr, "bare_parse: the script does not parse: %s\n", r.error->message);
        exit(1);
    }
    arena_block *arena = NULL;
    ProtobufCAllocator allocator = {arena_alloc, arena_free, &arena};
    PgQuery__ParseResult *pr = pg_query__parse_result__unpack(&allocator, r.parse_tree.len,
                                                              (const uint8_t *)r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
    if (!pr) {
        fprintf(stderr, "bare_parse: the protobuf tree does not unpack\n");
        exit(1);
    }
    *messages_bytes = 0;
    while (arena) {
        arena_block *next = arena->next;
        *messages_bytes += arena->used;
        free(arena);
        arena = next;
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bare_parse FILE [RUNS]\n");
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 5;
    if (runs < 1)
        runs = 1;
    size_t size = 0;
    char *text = read_file(argv[1], &size);
    if (!text) {
        fprintf(stderr, "bare_parse: cannot read %s\n", argv[1]);
        return 2;
    }
    if (strlen(text) != size) {
        fprintf(stderr, "bare_parse: %s contains a NUL byte\n", argv[1]);
        return 2;
    }

    double best_json = 1e300, best_pb = 1e300, best_unpacked = 1e300;
    size_t json_len = 0, pb_len = 0, unpacked_len = 0;
    for (int i = 0; i < runs; i++) {
        double t = time_json(text, &json_len);
        if (t < best_json)
            best_json = t;
        t = time_protobuf(text, &pb_len);
        if (t < best_pb)
            best_pb = t;
        t = time_unpacked(text, &unpacked_len);
        if (t < best_unpacked)
            best_unpacked = t;
    }
    double mb = (double)size / 1e6;
    printf("bytes    %zu\n", size);
    printf("json     %.6f s %.2f MB/s (tree: %zu bytes)\n", best_json, mb / best_json, json_len);
    printf("protobuf %.6f s %.2f MB/s (tree: %zu bytes)\n", best_pb, mb / best_pb, pb_len);
    printf("unpacked %.6f s %.2f MB/s (structs: %zu bytes)\n", best_unpacked, mb / best_unpacked,
           unpacked_len);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("rss      %ld kB\n", ru.ru_maxrss);
    pg_query_exit();
    free(text);
    return 0;
}
