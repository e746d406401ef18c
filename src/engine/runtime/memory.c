/* memory.c -- linear memories: guard-page reservations, pooled for reuse.
 *
 * Every linear memory is an 8 GiB + 64 KiB PROT_NONE reservation of address
 * space (no RAM): generated code adds a 32-bit address and a 32-bit offset
 * without checking them, and any access past the accessible prefix lands in
 * the reservation and faults; trap.c turns the fault into a trap.  Growing a
 * memory makes more of the prefix readable and writable.
 *
 * Creating and destroying reservations costs system calls and TLB work, and
 * so does every change to a page that is mapped (on a VM with shadow page
 * tables, a protection change or a dropped page costs ~17-20 us per 4 KiB
 * page, a first touch ~15 us: docs/BENCHMARKS.md), so a freed memory goes
 * back to a pool zeroed in place -- only the pages written, as the slot's
 * dirty map says, whatever the memory's size -- with its pages and its
 * accessible prefix kept: the next instance of the same module reuses it
 * without a system call or a page fault.  Pages are returned to the kernel
 * (MADV_DONTNEED) only for a memory whose writes are not tracked and that
 * is larger than ZERO_IN_PLACE_MAX, for one larger than SCAN_MAX, or when
 * the pooled slots above KEPT_FREE already keep KEPT_BUDGET bytes.  The pool
 * is bounded; beyond it, reservations are unmapped, so a burst of instances
 * does not pin address space forever.
 * Each thread keeps the last memory it freed for its own next instance: the
 * pages it zeroed are still in that core's cache, and taking it needs no
 * lock (with one shared LIFO list, two workers trade memories every call
 * and each one's zeroing and data-segment copy miss the cache).
 *
 * A registry of live reservations lets the signal handler tell a guest's
 * out-of-bounds access from a host crash without taking a lock.
 */
#define _GNU_SOURCE
#include "engine/runtime/runtime.h"
#include "util/error.h"
#include "util/shard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#define PAGE_SIZE_WASM 65536ull
#define RESERVATION_SIZE ((8ull << 30) + PAGE_SIZE_WASM)
#define ZERO_IN_PLACE_MAX (64 * 1024) /* untracked: memset below this, madvise above */
/* Tracked: the map is scanned up to this size (16,384 entries, a few us);
 * above it the pages are dropped. */
#define SCAN_MAX (64ull << 20)
/* Pooled slots keep their (zeroed) pages resident; those above KEPT_FREE
 * count against KEPT_BUDGET, and a slot that would pass it drops its pages
 * instead, so the pool's resident memory stays bounded. */
#define KEPT_FREE (256 * 1024)
#define KEPT_BUDGET (64ull << 20)
#define MAP_BYTES (WC_DIRTY_MAP_PAGES * sizeof(uint32_t))
#define REGISTRY_MAX 16384
#define DEFAULT_LIMIT_PAGES 65536u /* 4 GiB, all a 32-bit address reaches */

typedef struct pool_slot {
    uint8_t *base;
    size_t accessible; /* bytes readable and writable from base */
    /* The dirty map of the memory using the slot (WC_DIRTY): all zero while
     * the slot is pooled.  Reserved like the memory (MAP_NORESERVE): a page
     * of it is only made when a mark lands there. */
    uint32_t *map;
    size_t kept; /* bytes counted in kept_bytes while pooled */
    /* Pages (bit i: the 4 KiB page i) holding the data segments of the
     * module whose digest is image_owner, exactly as loaded: the only
     * nonzero bytes of a pooled slot.  Another module's instance zeroes
     * them first. */
    uint64_t image;
    char image_owner[72];
    /* The first bytes of each of those pages as loaded: freeing zeroes
     * them after a written page (a store may have crossed into them) and
     * puts these back. */
    uint8_t image_head[WC_DIRTY_PAGES][WC_DIRTY_SPILL];
    uint32_t registry_index;
    struct pool_slot *next;
} pool_slot;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pool_slot *pool_free_list;
static size_t pool_pooled, pool_reserved, pool_capacity = 64;
static _Atomic size_t kept_bytes;

/* A zeroed memory kept by this thread (counted in threads_kept, not in
 * pool_pooled); the key's destructor hands it back at thread exit. */
static __thread pool_slot *thread_kept;
/* Counted per thread shard: each call takes and gives one back, and a
 * shared counter would pass its cache line between the workers. */
static wc_shard_count threads_kept[WC_SHARDS];
static pthread_key_t thread_kept_key;
static pthread_once_t thread_kept_once = PTHREAD_ONCE_INIT;

/* base addresses of live reservations; 0 marks a free entry */
static _Atomic(uintptr_t) registry[REGISTRY_MAX];
static atomic_uint registry_high;

static __thread uint32_t thread_limit_pages;
static __thread bool thread_tracking;
static __thread const char *thread_owner;         /* the instantiating module's digest */
static __thread wasm_rt_memory_t *thread_loading; /* its memory, loading data segments */

void wc_rt_set_memory_limit(uint32_t max_pages)
{
    thread_limit_pages = max_pages;
}

void wc_rt_set_memory_tracking(bool tracked, const char *owner)
{
    thread_tracking = tracked;
    thread_owner = tracked ? owner : NULL;
    if (!tracked && thread_loading) {
        /* instantiation is over (or trapped): what was loaded is final */
        thread_loading->loading = 0;
        thread_loading->reload = 0;
        thread_loading = NULL;
    }
}

void wc_rt_load_segment(wasm_rt_memory_t *m, uint64_t o, const void *src, size_t n)
{
    const uint8_t *from = src;
    while (n > 0) {
        uint64_t page = o >> WC_DIRTY_SHIFT;
        size_t chunk = (size_t)(((page + 1) << WC_DIRTY_SHIFT) - o);
        if (chunk > n)
            chunk = n;
        if (page < WC_DIRTY_PAGES) {
            pool_slot *slot = m->slot;
            if (!((m->reload >> page) & 1)) {
                memcpy(m->data + o, from, chunk);
                if (slot) /* the page's first bytes as loaded so far */
                    memcpy(slot->image_head[page], m->data + (page << WC_DIRTY_SHIFT), WC_DIRTY_SPILL);
            }
            m->loaded[page] = 1;
        } else {
            /* beyond the image's pages: an ordinary write */
            memcpy(m->data + o, from, chunk);
            m->dirty[page & (WC_DIRTY_MAP_PAGES - 1)] = 1;
        }
        o += chunk;
        from += chunk;
        n -= chunk;
    }
}

void wc_rt_data_loaded(void)
{
    if (thread_loading) {
        thread_loading->loading = 0;
        thread_loading->reload = 0;
        thread_loading->loaded_all = 1;
        thread_loading = NULL;
    }
}

int wc_rt_memory_contains(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    unsigned high = atomic_load_explicit(&registry_high, memory_order_acquire);
    for (unsigned i = 0; i < high; i++) {
        uintptr_t base = atomic_load_explicit(&registry[i], memory_order_relaxed);
        if (base && a >= base && a < base + RESERVATION_SIZE)
            return 1;
    }
    return 0;
}

static int registry_add(uintptr_t base, uint32_t *index)
{
    for (uint32_t i = 0; i < REGISTRY_MAX; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&registry[i], &expected, base)) {
            unsigned high = atomic_load(&registry_high);
            while (high < i + 1 && !atomic_compare_exchange_weak(&registry_high, &high, i + 1)) {
            }
            *index = i;
            return 0;
        }
    }
    return WC_ENOSPC;
}

static pool_slot *slot_reserve(void)
{
    pool_slot *slot = calloc(1, sizeof *slot);
    if (!slot)
        return NULL;
    void *base = mmap(NULL, RESERVATION_SIZE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        free(slot);
        return NULL;
    }
    void *map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        munmap(base, RESERVATION_SIZE);
        free(slot);
        return NULL;
    }
    slot->base = base;
    slot->map = map;
    if (registry_add((uintptr_t)base, &slot->registry_index) != 0) {
        munmap(map, MAP_BYTES);
        munmap(base, RESERVATION_SIZE);
        free(slot);
        return NULL;
    }
    return slot;
}

static void slot_unkeep(pool_slot *slot)
{
    if (slot->kept) {
        atomic_fetch_sub(&kept_bytes, slot->kept);
        slot->kept = 0;
    }
}

static void slot_unmap(pool_slot *slot)
{
    slot_unkeep(slot);
    atomic_store(&registry[slot->registry_index], 0);
    munmap(slot->map, MAP_BYTES);
    munmap(slot->base, RESERVATION_SIZE);
    free(slot);
}

/* Makes exactly [0, bytes) of the slot accessible. */
static int slot_set_accessible(pool_slot *slot, size_t bytes)
{
    if (bytes > slot->accessible) {
        if (mprotect(slot->base + slot->accessible, bytes - slot->accessible,
                     PROT_READ | PROT_WRITE) != 0)
            return -errno;
    } else if (bytes < slot->accessible) {
        /* The tail is already zero (pages were dropped on release). */
        if (mprotect(slot->base + bytes, slot->accessible - bytes, PROT_NONE) != 0)
            return -errno;
    }
    slot->accessible = bytes;
    return 0;
}

static void pool_put_zeroed(pool_slot *slot);

static void thread_kept_release(void *unused)
{
    (void)unused;
    pool_slot *slot = thread_kept;
    if (slot) {
        thread_kept = NULL;
        wc_shard_add(threads_kept, -1);
        pool_put_zeroed(slot);
    }
}

static void thread_kept_key_create(void)
{
    pthread_key_create(&thread_kept_key, thread_kept_release);
}

static pool_slot *pool_take(void)
{
    pool_slot *kept = thread_kept;
    if (kept) {
        thread_kept = NULL;
        wc_shard_add(threads_kept, -1);
        slot_unkeep(kept);
        return kept;
    }
    pthread_mutex_lock(&pool_lock);
    pool_slot *slot = pool_free_list;
    if (slot) {
        pool_free_list = slot->next;
        pool_pooled--;
    }
    pthread_mutex_unlock(&pool_lock);
    if (slot)
        slot_unkeep(slot);
    if (!slot) {
        slot = slot_reserve();
        if (slot) {
            pthread_mutex_lock(&pool_lock);
            pool_reserved++;
            pthread_mutex_unlock(&pool_lock);
        }
    }
    return slot;
}

/* Zeroes the 4 KiB pages of a slot of at most WC_DIRTY_PAGES pages whose
 * bits are set in mask, each run of adjacent ones in one go. */
static void zero_pages(pool_slot *slot, uint64_t mask)
{
    while (mask) {
        unsigned first = (unsigned)__builtin_ctzll(mask);
        uint64_t from_first = mask >> first;
        unsigned run = from_first == UINT64_MAX ? 64 : (unsigned)__builtin_ctzll(~from_first);
        memset(slot->base + ((size_t)first << WC_DIRTY_SHIFT), 0, (size_t)run << WC_DIRTY_SHIFT);
        mask &= run == 64 ? 0 : ~(((1ull << run) - 1) << first);
    }
}

/* The pages among the first WC_DIRTY_PAGES of the slot's accessible prefix
 * that a map marks. */
static uint64_t page_mask(const pool_slot *slot, const uint32_t *map)
{
    size_t pages = slot->accessible >> WC_DIRTY_SHIFT;
    if (pages > WC_DIRTY_PAGES)
        pages = WC_DIRTY_PAGES;
    uint64_t mask = 0;
    for (size_t i = 0; i < pages; i++)
        mask |= (uint64_t)(map[i] != 0) << i;
    return mask;
}

/* Zeroes the pages of the accessible prefix the slot's map marks, each run
 * of marked pages in one go, and the WC_DIRTY_SPILL bytes after each run
 * (a store marks only its first byte's page), and clears the marks. */
static void zero_marked(pool_slot *slot)
{
    uint32_t *map = slot->map;
    size_t pages = slot->accessible >> WC_DIRTY_SHIFT;
    for (size_t i = 0; i < pages;) {
        if (!map[i]) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < pages && map[end])
            map[end++] = 0;
        memset(slot->base + (i << WC_DIRTY_SHIFT), 0, (end - i) << WC_DIRTY_SHIFT);
        if (end < pages)
            memset(slot->base + (end << WC_DIRTY_SHIFT), 0, WC_DIRTY_SPILL);
        i = end;
    }
}

/* Clears every mark of the accessible prefix (its pages are zeroed whole). */
static void clear_map(pool_slot *slot)
{
    size_t bytes = (slot->accessible >> WC_DIRTY_SHIFT) * sizeof *slot->map;
    if (bytes <= ZERO_IN_PLACE_MAX || madvise(slot->map, bytes, MADV_DONTNEED) != 0)
        memset(slot->map, 0, bytes);
}

/* Whether a slot of this many accessible bytes may keep its pages in the
 * pool (counted in kept_bytes when above KEPT_FREE). */
static bool may_keep(pool_slot *slot)
{
    if (slot->accessible <= KEPT_FREE)
        return true;
    size_t now = atomic_load(&kept_bytes);
    do {
        if (now + slot->accessible > KEPT_BUDGET)
            return false;
    } while (!atomic_compare_exchange_weak(&kept_bytes, &now, now + slot->accessible));
    slot->kept = slot->accessible;
    return true;
}

/* mem: the freed memory (its maps of written and loaded pages), or NULL
 * (zero it all). */
static void pool_give(pool_slot *slot, const wasm_rt_memory_t *mem)
{
    bool zeroed = true;
    bool scanned = mem && mem->tracked && slot->accessible <= SCAN_MAX && may_keep(slot);
    slot->image = 0;
    if (scanned) {
        uint64_t loaded = page_mask(slot, mem->loaded), written = page_mask(slot, slot->map);
        zero_marked(slot);
        /* The pages only the data segments wrote stay for the next
         * instance of the same module (their loading must have ended); one
         * after a written page gets back the first bytes zero_marked
         * cleared. */
        uint64_t image = loaded & ~written;
        if (image && mem->loaded_all && mem->owner &&
            strlen(mem->owner) < sizeof slot->image_owner) {
            slot->image = image;
            strcpy(slot->image_owner, mem->owner);
            for (uint64_t spilled = image & (written << 1); spilled; spilled &= spilled - 1) {
                unsigned page = (unsigned)__builtin_ctzll(spilled);
                memcpy(slot->base + ((size_t)page << WC_DIRTY_SHIFT), slot->image_head[page], WC_DIRTY_SPILL);
            }
        } else {
            zero_pages(slot, image);
        }
    } else {
        clear_map(slot);
        if (slot->accessible <= ZERO_IN_PLACE_MAX)
            memset(slot->base, 0, slot->accessible);
        else
            zeroed = madvise(slot->base, slot->accessible, MADV_DONTNEED) == 0;
    }
    if (!zeroed) {
        pthread_mutex_lock(&pool_lock);
        pool_reserved--;
        pthread_mutex_unlock(&pool_lock);
        slot_unmap(slot);
        return;
    }
    if (!thread_kept && pool_capacity > 0) {
        /* The key's value only has to be non-NULL for its destructor to
         * run at thread exit; set once per thread, it stays set. */
        pthread_once(&thread_kept_once, thread_kept_key_create);
        if (!pthread_getspecific(thread_kept_key))
            pthread_setspecific(thread_kept_key, &thread_kept_once);
        thread_kept = slot;
        wc_shard_add(threads_kept, 1);
        return;
    }
    pool_put_zeroed(slot);
}

static void pool_put_zeroed(pool_slot *slot)
{
    pthread_mutex_lock(&pool_lock);
    if (pool_pooled < pool_capacity) {
        slot->next = pool_free_list;
        pool_free_list = slot;
        pool_pooled++;
        slot = NULL;
    } else {
        pool_reserved--;
    }
    pthread_mutex_unlock(&pool_lock);
    if (slot)
        slot_unmap(slot);
}

void wc_rt_pool_stats_get(wc_rt_pool_stats *stats)
{
    pthread_mutex_lock(&pool_lock);
    stats->reserved = pool_reserved;
    long kept = wc_shard_sum(threads_kept);
    stats->pooled = pool_pooled + (kept > 0 ? (size_t)kept : 0);
    stats->in_use = pool_reserved - stats->pooled;
    stats->kept_bytes = atomic_load(&kept_bytes);
    pthread_mutex_unlock(&pool_lock);
}

void wc_rt_pool_set_capacity(size_t capacity)
{
    pool_slot *drop = NULL;
    pthread_mutex_lock(&pool_lock);
    pool_capacity = capacity;
    while (pool_pooled > pool_capacity) {
        pool_slot *slot = pool_free_list;
        pool_free_list = slot->next;
        pool_pooled--;
        pool_reserved--;
        slot->next = drop;
        drop = slot;
    }
    pthread_mutex_unlock(&pool_lock);
    while (drop) {
        pool_slot *next = drop->next;
        slot_unmap(drop);
        drop = next;
    }
}

static uint32_t effective_limit(void)
{
    uint32_t limit = thread_limit_pages ? thread_limit_pages : DEFAULT_LIMIT_PAGES;
    return limit > DEFAULT_LIMIT_PAGES ? DEFAULT_LIMIT_PAGES : limit;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    uint32_t limit = effective_limit();
    if (initial_pages > limit)
        wasm_rt_trap(WASM_RT_TRAP_MEMORY_LIMIT);
    pool_slot *slot = pool_take();
    if (!slot)
        wasm_rt_trap(WASM_RT_TRAP_MEMORY_LIMIT);
    /* A slot holding another module's data segments (or any, for a memory
     * whose writes are not tracked) is zeroed first.  Only an instance's
     * first memory loads its data segments apart and keeps their image: a
     * module's other memories (multi-memory) have other segments, and a
     * slot's image names only the module. */
    bool first = thread_tracking && !thread_loading;
    bool same = first && slot->image && thread_owner &&
                strcmp(slot->image_owner, thread_owner) == 0;
    uint64_t reload = same ? slot->image : 0;
    if (slot->image && !same)
        zero_pages(slot, slot->image);
    slot->image = 0;
    if (slot_set_accessible(slot, (size_t)initial_pages * PAGE_SIZE_WASM) != 0) {
        pool_give(slot, NULL);
        wasm_rt_trap(WASM_RT_TRAP_MEMORY_LIMIT);
    }
    mem->data = slot->base;
    mem->pages = initial_pages;
    mem->declared_max = max_pages;
    mem->max_pages = max_pages < limit ? max_pages : limit;
    mem->size = (uint64_t)initial_pages * PAGE_SIZE_WASM;
    mem->slot = slot;
    mem->limit_refused = 0;
    mem->dirty = slot->map;
    memset(mem->loaded, 0, sizeof mem->loaded);
    mem->tracked = thread_tracking;
    mem->owner = first ? thread_owner : NULL;
    mem->loading = first;
    mem->reload = reload;
    mem->loaded_all = 0;
    mem->is64 = 0;   /* the generated code sets it for a 64-bit memory */
    mem->shared = 0; /* ... and for a shared one */
    if (first)
        thread_loading = mem;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    if (delta == 0)
        return old;
    uint64_t want = (uint64_t)old + delta;
    if (want > mem->max_pages || !mem->slot) {
        if (want <= mem->declared_max || mem->declared_max == UINT32_MAX)
            mem->limit_refused = 1;
        return UINT32_MAX;
    }
    if (slot_set_accessible(mem->slot, (size_t)(want * PAGE_SIZE_WASM)) != 0)
        return UINT32_MAX;
    mem->pages = (uint32_t)want;
    mem->size = want * PAGE_SIZE_WASM;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
    if (mem->slot)
        pool_give(mem->slot, mem);
    memset(mem, 0, sizeof *mem);
}
