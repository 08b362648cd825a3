/*
 * Read-bandwidth probe: how fast one core (and all cores) can stream floats from each level of
 * the memory hierarchy. A buffer per thread is summed repeatedly with AVX-512 loads, or AVX2
 * loads where the CPU has no AVX-512 (8 independent accumulators, so latency does not limit);
 * bytes/s = passes * size / time. Prints one JSON object; `bandwidth --sizes` prints the same object without the
 * figures (no *_gbs_* keys) and returns at once, to check the buffer sizes below without measuring.
 *
 * The buffer sizes (per thread) come from the cache sizes the machine reports: glibc's sysconf,
 * else Linux's /sys/devices/system/cpu/cpu0/cache. A cache holds at most its own size of a buffer,
 * so a buffer k times a cache's size gets at most 1/k of its reads from that cache, whatever the
 * replacement policy; k = 8 leaves the level below at most an eighth of the reads.
 *   L1    half the L1d.
 *   L2    half the L2. The other half of either leaves room for the stack, page walks, an SMT
 *         sibling and set conflicts (the L2 and L3 are indexed by physical address, so a buffer as
 *         large as the cache would lose lines to conflicts).
 *   L3    8x the L2, at most half the L3. Not half the L3: the L3 reported can be far more than one
 *         core reaches. An AMD core reaches only its CCX's L3 (32 MiB on Zen 4 and 5), while a VM may
 *         be told of far more (the 2-vCPU Zen 5 VM of the README reports 508 MiB to glibc), and
 *         half of that is DRAM. 8x an L2 of 0.5 to 2 MiB is 4 to 16 MiB: inside a CCX's L3, and
 *         inside an Intel L3, which one core reaches all of.
 *   DRAM  8x the last-level cache, L3 or L4, and at least the old 256 MiB; at most 1 GiB a thread
 *         (DRAM_MAX). Every level's buffers of all threads together, fixed sizes included, stay within
 *         half the memory available: the least of the physical memory, MemAvailable, and the room left under
 *         the memory limit of our cgroup and of each of its parents, cgroup v2 and v1 (memory_for_buffers).
 *         "note" says when a ceiling cut it short, as on the VM above (8x 508 MiB would be 4 GiB a thread),
 *         which cgroup's limit did where one did, and when a buffer is under twice the cache below it.
 * The all-threads figures use the same buffer per thread: where many cores share one L3 their
 * buffers together can overflow it (8 cores x 8 MiB on a 32 MiB CCX), pulling the L3 all-threads
 * figure toward DRAM's. Which cores share an L3 is not reliably reported (this VM reports nothing),
 * so the probe does not try to shrink them.
 * A level whose cache size cannot be read (or is implausible: outside L1d 8 KiB..1 MiB, L2 64 KiB..
 * 64 MiB, L3/L4 up to 16 GiB, or no larger than the level before) falls back to the fixed size the probe used before
 * (16 KiB, 512 KiB, 8 MiB, 256 MiB) and "note" says so. The JSON gives the cache sizes read
 * (l2_cache_bytes, ...; null where unknown) and the buffer size of each level (l2_buffer_bytes, ...),
 * which the bench's report prints beside the figures.
 *
 * Test hook: the environment variable RECUR4J_PROBE_FS_ROOT, if set, is prefixed to every file read for the memory
 * ceiling (/proc/meminfo, /proc/self/cgroup, /proc/self/mountinfo and the cgroup files, mount points included), so
 * scripts/tests/test_bandwidth_sizes.py can hand `--sizes` a fake tree. The cache sizes and the physical memory
 * (sysconf, /sys/devices) are the machine's whatever it says. Not for a real run: leave it unset.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float sum512(const float *p, size_t n, int passes) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < passes; r++) {
        for (size_t i = 0; i + 128 <= n; i += 128) {
            a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
            a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
            a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
            a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
            a4 = _mm512_add_ps(a4, _mm512_load_ps(p + i + 64));
            a5 = _mm512_add_ps(a5, _mm512_load_ps(p + i + 80));
            a6 = _mm512_add_ps(a6, _mm512_load_ps(p + i + 96));
            a7 = _mm512_add_ps(a7, _mm512_load_ps(p + i + 112));
        }
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2"))) static float sum256(const float *p, size_t n, int passes) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < passes; r++) {
        for (size_t i = 0; i + 64 <= n; i += 64) {
            a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
            a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
            a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
            a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
            a4 = _mm256_add_ps(a4, _mm256_load_ps(p + i + 32));
            a5 = _mm256_add_ps(a5, _mm256_load_ps(p + i + 40));
            a6 = _mm256_add_ps(a6, _mm256_load_ps(p + i + 48));
            a7 = _mm256_add_ps(a7, _mm256_load_ps(p + i + 56));
        }
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

/* The widest loads this CPU has: the AVX-512 kernel would stop an AVX2-only CPU with SIGILL. */
static float sum(const float *p, size_t n, int passes) {
    return __builtin_cpu_supports("avx512f") ? sum512(p, n, passes) : sum256(p, n, passes);
}

/* `threads` buffers of `bytes`, filled: one per thread, allocated once for the one-thread and the
 * all-threads runs of a level, since filling (faulting in) the DRAM buffers takes longer than reading them. */
static float **buffers(size_t bytes, int threads) {
    float **bufs = calloc(threads, sizeof(float *));
    if (!bufs) {
        fprintf(stderr, "bandwidth: out of memory\n");
        exit(1);
    }
    for (int t = 0; t < threads; t++) {
        bufs[t] = aligned_alloc(64, bytes);
        if (!bufs[t]) { /* the DRAM buffer follows the cache sizes, so it can be large */
            fprintf(stderr, "bandwidth: cannot allocate %d buffers of %zu bytes\n", threads, bytes);
            exit(1);
        }
        for (size_t i = 0; i < bytes / sizeof(float); i++) bufs[t][i] = 1.0f;
    }
    return bufs;
}

/* GB/s reading `bytes` per thread from bufs[0..threads-1], median of 5 runs of ~4 GB per thread each. */
static double measure(float **bufs, size_t bytes, int threads) {
    size_t n = bytes / sizeof(float);
    int passes = (int)(4e9 / bytes);
    if (passes < 2) passes = 2;
    double gbs[5];
    for (int rep = 0; rep < 5; rep++) {
        volatile float sink = 0;
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            float r = sum(bufs[omp_get_thread_num()], n, passes);
#pragma omp atomic
            sink += r;
        }
        gbs[rep] = (double)bytes * passes * threads / (now() - t0) / 1e9;
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (gbs[j] < gbs[i]) { double t = gbs[i]; gbs[i] = gbs[j]; gbs[j] = t; }
    return gbs[2];
}

/* A cache size from /sys/devices/system/cpu/cpu0/cache ("48K"): the data or unified cache of
 * `level`, 0 if none is listed (the VM below lists none). */
static long sysfs_cache(int level) {
    for (int i = 0; i < 16; i++) {
        char path[80], type[32] = "";
        int lvl = 0;
        long size = 0;
        char unit = 'K';
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (!(f = fopen(path, "r"))) break;
        int ok = fscanf(f, "%d", &lvl) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if (!ok || lvl != level || !(f = fopen(path, "r"))) continue;
        ok = fscanf(f, "%31s", type) == 1;
        fclose(f);
        if (!ok || strcmp(type, "Instruction") == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r"))) continue;
        ok = fscanf(f, "%ld%c", &size, &unit) >= 1;
        fclose(f);
        if (ok && size > 0 && size < (1L << 40)) return unit == 'M' ? size << 20 : unit == 'K' ? size << 10 : size;
    }
    return 0;
}

/* The size in bytes of the level-`level` data (or unified) cache, 0 if unknown or absent; notes in
 * `from` which source answered. */
static long cache_size(int level, char *from, size_t from_len) {
    long bytes = 0;
    const char *source = "sysconf";
#ifdef _SC_LEVEL1_DCACHE_SIZE
    static const int names[] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE,
                                _SC_LEVEL4_CACHE_SIZE};
    bytes = sysconf(names[level - 1]);
#endif
    if (bytes <= 0) {
        bytes = sysfs_cache(level);
        source = "sysfs";
    }
    if (bytes <= 0) return 0;
    if (!strstr(from, source)) snprintf(from + strlen(from), from_len - strlen(from), "%s%s", *from ? "+" : "", source);
    return bytes;
}

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
/* Rounded down to whole 4 KiB: the kernels read 512 bytes a step and aligned_alloc wants a multiple of 64. */
static size_t round4k(size_t bytes) { return bytes / (4 * KIB) * (4 * KIB); }
static size_t smaller(size_t a, size_t b) { return a < b ? a : b; }
/* The DRAM buffer's ceiling per thread: about 10x the largest L3 one core reaches today (AMD's 3D V-Cache CCX,
 * 96 MiB), so at most a tenth of its reads can hit there; 8x a VM's inflated L3 (508 MiB on the README's Zen 5)
 * would take 4 GiB a thread and a minute of page faults for the same figure. */
#define DRAM_MAX ((size_t)1 << 30)

/* Room for a path: a cgroup's directory under its mount, as Linux's PATH_MAX. */
#define PATH_BYTES 4096

/* `path` under RECUR4J_PROBE_FS_ROOT, the test hook of the header comment; the real file where it is unset. */
static FILE *open_in_root(const char *path) {
    const char *root = getenv("RECUR4J_PROBE_FS_ROOT");
    char full[2 * PATH_BYTES];
    if ((size_t)snprintf(full, sizeof full, "%s%s", root ? root : "", path) >= sizeof full) return NULL;
    return fopen(full, "r");
}

/* One line into `line` without its newline; 0 at the end of the file. A line too long for `line` is skipped
 * whole: its pieces read as lines of their own would be parsed as nonsense. */
static int read_line(FILE *f, char *line, size_t size) {
    while (fgets(line, (int)size, f)) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n') {
            line[n - 1] = '\0';
            return 1;
        }
        if (feof(f)) return 1; /* the last line, without a newline */
        int c;
        while ((c = fgetc(f)) != EOF && c != '\n') {}
    }
    return 0;
}

/* The first number in the file at `path` (under the test root); 0 if none, as for v2's "max". */
static int read_number(const char *path, unsigned long long *value) {
    FILE *f = open_in_root(path);
    if (!f) return 0;
    int ok = fscanf(f, "%llu", value) == 1;
    fclose(f);
    return ok;
}

/* The value of `key` in the "key value" lines of the file at `path` (a cgroup's memory.stat; /proc/meminfo, whose keys
 * end in ':' and whose values in " kB"); 0 if none. */
static int read_keyed(const char *path, const char *key, unsigned long long *value) {
    FILE *f = open_in_root(path);
    if (!f) return 0;
    char line[256], name[64];
    unsigned long long v;
    int ok = 0;
    while (!ok && read_line(f, line, sizeof line))
        ok = sscanf(line, "%63s %llu", name, &v) == 2 && strcmp(name, key) == 0;
    fclose(f);
    if (ok) *value = v;
    return ok;
}

/* The next space-separated field of *s, cut off in place; NULL when none is left. */
static char *next_field(char **s) {
    char *p = *s + strspn(*s, " ");
    if (!*p) return NULL;
    char *end = p + strcspn(p, " ");
    *s = *end ? end + 1 : end;
    *end = '\0';
    return p;
}

/* Whether the comma-separated `list` ("rw,memory", "cpu,cpuacct") holds `item`. */
static int has_item(const char *list, const char *item) {
    size_t n = strlen(item);
    for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

/* mountinfo writes a space, tab, newline or backslash in a path as \ and three octal digits. */
static void unescape_octal(char *s) {
    char *out = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/* A cgroup hierarchy as mounted here: its mount point, and the cgroup the mount shows as its top ("/" unless a
 * container was given its own cgroup's directory of its host's tree, where /proc/self/cgroup still names the host's
 * path). */
struct cgroup_mount {
    char point[PATH_BYTES], root[PATH_BYTES];
};

/* How well a mount whose top is cgroup `root` shows cgroup `path`: 0 if path is not at or under root, else 1 plus
 * the length of root ("/" counts as empty), so the mount nearest to the path scores highest. */
static size_t root_match(const char *root, const char *path) {
    size_t n = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0')) return 0;
    return n + 1;
}

static void trim_trailing_slashes(char *path) {
    for (size_t n = strlen(path); n > 0 && path[n - 1] == '/';) path[--n] = '\0';
}

/* Where the v2 hierarchy (cgroup2) and v1's memory controller (cgroup with the "memory" option) are mounted, from
 * /proc/self/mountinfo; not listed there, the usual places: /sys/fs/cgroup and /sys/fs/cgroup/memory. Where a
 * hierarchy is mounted more than once (a sub-cgroup bind-mounted elsewhere, nested containers), the mount whose top
 * holds our cgroup (`path2`, `path1`, from /proc/self/cgroup; "" if none) nearest wins, not the first listed. */
static void cgroup_mounts(const char *path2, const char *path1, struct cgroup_mount *v2, struct cgroup_mount *v1) {
    int found2 = 0, found1 = 0;
    size_t score2 = 0, score1 = 0;
    FILE *f = open_in_root("/proc/self/mountinfo");
    if (f) {
        static char line[3 * PATH_BYTES]; /* static: off the stack, the probe runs this once */
        while (read_line(f, line, sizeof line)) {
            /* "36 25 0:31 ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS" */
            char *dash = strstr(line, " - ");
            if (!dash) continue;
            *dash = '\0';
            char *rest = line, *after = dash + 3;
            char *root = NULL, *point = NULL, *type, *super;
            for (int i = 0; i < 5; i++) {
                root = point;
                point = next_field(&rest);
                if (!point) break;
            }
            type = next_field(&after);
            next_field(&after); /* the source */
            super = next_field(&after);
            if (!point || !root || !type) continue;
            unescape_octal(root);
            struct cgroup_mount *m;
            if (strcmp(type, "cgroup2") == 0) {
                size_t score = root_match(root, path2);
                if (found2 && score <= score2) continue;
                m = v2, found2 = 1, score2 = score;
            } else if (strcmp(type, "cgroup") == 0 && super && has_item(super, "memory")) {
                size_t score = root_match(root, path1);
                if (found1 && score <= score1) continue;
                m = v1, found1 = 1, score1 = score;
            } else {
                continue;
            }
            unescape_octal(point);
            snprintf(m->point, sizeof m->point, "%s", point);
            snprintf(m->root, sizeof m->root, "%s", root);
        }
        fclose(f);
    }
    if (!found2) {
        snprintf(v2->point, sizeof v2->point, "/sys/fs/cgroup");
        snprintf(v2->root, sizeof v2->root, "/");
    }
    if (!found1) {
        snprintf(v1->point, sizeof v1->point, "/sys/fs/cgroup/memory");
        snprintf(v1->root, sizeof v1->root, "/");
    }
    /* "/sys/fs/cgroup/" and "/sys/fs/cgroup" are one directory; the walk below stops at the mount point by length */
    trim_trailing_slashes(v2->point);
    trim_trailing_slashes(v1->point);
}

/* The least memory found so far, and what set it when a cgroup did ("" for physical memory and MemAvailable). */
struct ceiling {
    size_t bytes;
    char what[256];
};

/* v1 writes "no limit" as the largest page count times the page size (9223372036854771712 with 4 KiB pages, less
 * with larger pages); no machine has 2^62 bytes, so any limit that large is none. v2 writes "max". */
#define NO_LIMIT (1ULL << 62)

/* Lowers `c` to the least room left under the limits of cgroup `path` (from /proc/self/cgroup) and each of its
 * parents, up to the top of mount `m`: at each level the limit less the usage (every process of that cgroup's
 * subtree counts, ours too) without its inactive file cache (memory.stat's `inactive_key`), or the limit alone where
 * the usage cannot be read. A limit on a parent (a systemd slice, a container's own cgroup seen from inside a nested
 * one) binds us as much as our own. */
static void cgroup_walk(const struct cgroup_mount *m, const char *path, int version, const char *limit_file,
                        const char *usage_file, const char *inactive_key, struct ceiling *c) {
    /* The path is the hierarchy's; the mount shows it from m->root down. A path outside that subtree (or one
     * climbing out of a cgroup namespace with "/..") has no directory under this mount that is ours to read. */
    size_t match = root_match(m->root, path);
    if (!match) return;
    path += match - 1; /* past the mount's top */
    if (strstr(path, "/../") || (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)) return;
    char dir[2 * PATH_BYTES], file[2 * PATH_BYTES + 32];
    size_t top = strlen(m->point);
    if ((size_t)snprintf(dir, sizeof dir, "%s%s", m->point, path) >= sizeof dir) return;
    size_t len = strlen(dir);
    for (;;) {
        while (len > top && dir[len - 1] == '/') dir[--len] = '\0';
        unsigned long long limit, usage;
        snprintf(file, sizeof file, "%s/%s", dir, limit_file);
        if (read_number(file, &limit) && limit < NO_LIMIT) {
            snprintf(file, sizeof file, "%s/%s", dir, usage_file);
            int usage_known = read_number(file, &usage);
            /* The usage counts the file cache, which the kernel reclaims before it runs out (a job that has read many
             * files would look full); the inactive part of it is what `docker stats` and MemAvailable count as free. */
            unsigned long long inactive;
            snprintf(file, sizeof file, "%s/memory.stat", dir);
            if (usage_known && read_keyed(file, inactive_key, &inactive))
                usage = inactive < usage ? usage - inactive : 0;
            size_t room = !usage_known ? limit : usage < limit ? limit - usage : 0;
            if (room < c->bytes) {
                c->bytes = room;
                /* the note is JSON: a path's quote, backslash or control character becomes '?', and so does every
                 * non-ASCII byte, since the cut below could split a UTF-8 character */
                char name[128];
                const char *cgroup = len > top ? dir + top : "/";
                size_t i = 0;
                for (; cgroup[i] && i < sizeof name - 1; i++)
                    name[i] = cgroup[i] == '"' || cgroup[i] == '\\' || (unsigned char)cgroup[i] < 0x20
                              || (unsigned char)cgroup[i] >= 0x80 ? '?' : cgroup[i];
                name[i] = '\0';
                snprintf(c->what, sizeof c->what, "the cgroup v%d limit of %s%s less its usage", version, name,
                         cgroup[i] ? "..." : "");
            }
        }
        if (len <= top) break;
        char *slash = strrchr(dir + top, '/');
        if (!slash) break;
        *slash = '\0';
        len = (size_t)(slash - dir);
    }
}

/* Bytes the buffers may take together: half of the least of the physical memory, the memory available now
 * (/proc/meminfo) and the room left under every cgroup memory limit over us (see cgroup_walk), v2's memory.max and
 * v1's memory.limit_in_bytes alike, so a container's limit is not overrun by buffers the kernel would let us
 * allocate and then kill us for filling. `why` gets what set it when a cgroup did, else "". */
static size_t memory_for_buffers(char *why, size_t why_len) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    struct ceiling c = {pages > 0 && page > 0 ? (size_t)pages * page : (size_t)-1, ""};
    unsigned long long kb;
    if (read_keyed("/proc/meminfo", "MemAvailable:", &kb) && kb * 1024 < c.bytes) c.bytes = kb * 1024;
    /* "0::/user.slice/x" names our v2 cgroup, "4:memory:/docker/x" (or "4:cpu,memory:...") our v1 memory cgroup.
     * Both may be there (a hybrid system: v1 holds the memory controller, and v2's directories have no memory.max);
     * each limit found binds. */
    FILE *f = open_in_root("/proc/self/cgroup");
    if (f) {
        static struct cgroup_mount v2, v1;                      /* static: 16 KiB off the stack */
        static char line[PATH_BYTES + 64], path2[PATH_BYTES + 64], path1[PATH_BYTES + 64];
        int have2 = 0, have1 = 0;
        while (read_line(f, line, sizeof line)) {
            char *controllers = strchr(line, ':'), *path;
            if (!controllers || !(path = strchr(controllers + 1, ':'))) continue;
            *controllers++ = '\0';
            *path++ = '\0';
            if (strcmp(line, "0") == 0 && !*controllers && !have2)
                have2 = snprintf(path2, sizeof path2, "%s", path) >= 0;
            else if (has_item(controllers, "memory") && !have1)
                have1 = snprintf(path1, sizeof path1, "%s", path) >= 0;
        }
        fclose(f);
        cgroup_mounts(path2, path1, &v2, &v1);
        if (have2) cgroup_walk(&v2, path2, 2, "memory.max", "memory.current", "inactive_file", &c);
        if (have1)
            cgroup_walk(&v1, path1, 1, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file", &c);
    }
    snprintf(why, why_len, "%s", c.what);
    return c.bytes / 2;
}

static void print_cache(const char *name, long bytes) {
    if (bytes > 0) printf(",\"%s_cache_bytes\":%ld", name, bytes);
    else printf(",\"%s_cache_bytes\":null", name);
}

int main(int argc, char **argv) {
    /* --sizes: the JSON up to the buffer sizes and note, without measuring, so the sizing can be checked in
     * milliseconds and without loading the machine (scripts/tests/test_bandwidth_sizes.py). */
    int sizes_only = argc == 2 && strcmp(argv[1], "--sizes") == 0;
    if (argc > 1 && !sizes_only) {
        fprintf(stderr, "usage: bandwidth [--sizes]\n");
        return 2;
    }
    /* The fixed sizes of before, for a level whose cache size cannot be read. */
    struct { const char *name; size_t bytes; } levels[] = {
        {"l1", 16 * KIB}, {"l2", 512 * KIB}, {"l3", 8 * MIB}, {"dram", 256 * MIB}};
    int all = omp_get_num_procs();
    char from[32] = "", note[1024] = "", fixed[64] = ""; /* note: every clause at once is about 850 bytes */
    long l1 = cache_size(1, from, sizeof from), l2 = cache_size(2, from, sizeof from);
    long l3 = cache_size(3, from, sizeof from), l4 = cache_size(4, from, sizeof from);
    /* A size no level could have is a wrong report: treat it as unknown, so its buffers fall back to the fixed
     * sizes instead of measuring the wrong level. Plausible: L1d 8 KiB to 1 MiB, L2 64 KiB to 64 MiB, L3 and L4
     * up to 16 GiB (no overflow below), each larger than the level before. */
    if (l1 > 0 && (l1 < (long)(8 * KIB) || l1 > (long)MIB)) l1 = 0;
    if (l2 > 0 && (l2 < (long)(64 * KIB) || l2 > (long)(64 * MIB) || l2 <= l1)) l2 = 0;
    if (l3 > 0 && (l3 > (16L << 30) || l3 <= l2 || l3 <= l1)) l3 = 0;
    if (l4 > 0 && (l4 > (16L << 30) || l4 <= l3 || l4 <= l2)) l4 = 0;
    long last = l4 > l3 ? l4 : l3;
    if (l1 > 0) levels[0].bytes = round4k(l1 / 2);
    if (l2 > 0) levels[1].bytes = round4k(l2 / 2);
    if (l2 > 0 && l3 > 0) levels[2].bytes = round4k(smaller(8 * (size_t)l2, (size_t)l3 / 2));
    if (last > 0) {
        size_t want = 8 * (size_t)last;
        if (want < levels[3].bytes) want = levels[3].bytes;
        levels[3].bytes = round4k(smaller(want, DRAM_MAX));
        if (DRAM_MAX < want)
            snprintf(note, sizeof note, "dram buffer %.2fx the last-level cache, held to 1 GiB a thread; ",
                     (double)levels[3].bytes / last);
    }
    /* Every level, the fixed sizes included: all threads' buffers within half the memory available. */
    char why[256];
    size_t memory = memory_for_buffers(why, sizeof why) / all;
    int held = 0;
    for (int i = 0; i < 4; i++)
        if (levels[i].bytes > memory) {
            levels[i].bytes = round4k(memory);
            held = 1;
            snprintf(note + strlen(note), sizeof note - strlen(note),
                     "%s buffer held to half the memory available; ", levels[i].name);
        }
    if (held && *why) /* which limit, since a cgroup's is not what free or /proc/meminfo show */
        snprintf(note + strlen(note), sizeof note - strlen(note), "memory available set by %s; ", why);
    for (int i = 0; i < 4; i++)
        if (levels[i].bytes < 4 * KIB) levels[i].bytes = 4 * KIB; /* never an empty buffer, whatever the sizes */
    /* A buffer under twice the cache below it gets many of its reads from there: say so rather than hide it
     * (a 6 MiB L3 over a 2 MiB L2 leaves room for a 3 MiB buffer only). */
    const long below[] = {0, l1, l2, last};
    for (int i = 1; i < 4; i++)
        if (below[i] > 0 && levels[i].bytes < 2 * (size_t)below[i])
            snprintf(note + strlen(note), sizeof note - strlen(note),
                     "%s buffer only %.2fx the cache below it, so part of its reads hit there; ", levels[i].name,
                     (double)levels[i].bytes / below[i]);
    /* levels[i] fell back where the cache it derives from is unknown */
    const int known[] = {l1 > 0, l2 > 0, l2 > 0 && l3 > 0, last > 0};
    for (int i = 0; i < 4; i++)
        if (!known[i]) snprintf(fixed + strlen(fixed), sizeof fixed - strlen(fixed), "%s%s", *fixed ? ", " : "", levels[i].name);
    if (*fixed)
        snprintf(note + strlen(note), sizeof note - strlen(note),
                 "cache sizes not reported or not plausible: fixed buffers (as before this probe read them) for %s; ",
                 fixed);
    if (*note) note[strlen(note) - 2] = '\0'; /* the last "; " */

    printf("{\"probe\":\"bandwidth\",\"threads_all\":%d,\"cache_sizes_from\":\"%s\"", all, *from ? from : "none");
    print_cache("l1d", l1);
    print_cache("l2", l2);
    print_cache("l3", l3);
    print_cache("l4", l4);
    for (int i = 0; i < 4; i++) printf(",\"%s_buffer_bytes\":%zu", levels[i].name, levels[i].bytes);
    if (*note) printf(",\"note\":\"%s\"", note);
    if (sizes_only) {
        printf("}\n");
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        float **bufs = buffers(levels[i].bytes, all);
        printf(",\"%s_gbs_1t\":%.1f", levels[i].name, measure(bufs, levels[i].bytes, 1));
        printf(",\"%s_gbs_all\":%.1f", levels[i].name, measure(bufs, levels[i].bytes, all));
        for (int t = 0; t < all; t++) free(bufs[t]);
        free(bufs);
    }
    printf("}\n");
    return 0;
}
