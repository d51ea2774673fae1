/* SPSC ring; the contract and the layout are in vd_ring.h. */
#include "vd_ring.h"
#include "vd_error.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64

struct vd_ring {
    /* Producer's line: its own index and its cached view of the consumer's. */
    alignas(CACHE_LINE) _Atomic uint64_t tail;
    uint64_t head_cache;
    _Atomic uint64_t dropped;
    /* Consumer's line. */
    alignas(CACHE_LINE) _Atomic uint64_t head;
    uint64_t tail_cache;
    /* Read-only after create. */
    alignas(CACHE_LINE) uint32_t mask;
    uint32_t slot_count;
    uint32_t slot_bytes;
    size_t stride;
    uint8_t *slots;
};

static inline vd_ring_slot *slot_at(const vd_ring *r, uint64_t index) {
    return (vd_ring_slot *)(r->slots + (size_t)(index & r->mask) * r->stride);
}

vd_ring *vd_ring_create(const vd_ring_config *cfg, int *err) {
    int code = VD_OK;
    vd_ring *r = NULL;
    uint32_t n = cfg->slot_count;
    if (n < 2 || n > 65536 || (n & (n - 1)) != 0 || cfg->slot_bytes > 65536) {
        code = VD_EINVAL;
        goto out;
    }
    r = aligned_alloc(CACHE_LINE, sizeof(*r));
    if (!r) { code = VD_ENOMEM; goto out; }
    memset(r, 0, sizeof(*r));
    r->slot_count = n;
    r->mask = n - 1;
    r->slot_bytes = (cfg->slot_bytes + 15u) & ~15u;
    r->stride = sizeof(vd_ring_slot) + r->slot_bytes;
    r->slots = aligned_alloc(CACHE_LINE, ((r->stride * n) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE);
    if (!r->slots) { free(r); r = NULL; code = VD_ENOMEM; goto out; }
    /* Touch every page now so the first call-second does not page-fault on the media thread. */
    memset(r->slots, 0, r->stride * n);
    atomic_init(&r->tail, 0);
    atomic_init(&r->head, 0);
    atomic_init(&r->dropped, 0);
out:
    if (err) *err = code;
    return r;
}

void vd_ring_destroy(vd_ring *r) {
    if (!r) return;
    free(r->slots);
    free(r);
}

vd_ring_slot *vd_ring_producer_reserve(vd_ring *r) {
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed); /* only we write it */
    if (tail - r->head_cache >= r->slot_count) {
        /* Pairs with the release store of head in vd_ring_consumer_release: the consumer has finished
         * reading every slot below head, so we may overwrite them. */
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail - r->head_cache >= r->slot_count) return NULL;
    }
    return slot_at(r, tail);
}

void vd_ring_producer_commit(vd_ring *r) {
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* Release: the slot's contents become visible before the new tail (acquired in peek). */
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

void vd_ring_producer_drop(vd_ring *r) {
    atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed); /* a statistic, orders nothing */
}

int vd_ring_push(vd_ring *r, uint32_t kind, uint64_t time_ns, uint64_t value, const void *payload, uint32_t length) {
    if (length > r->slot_bytes) return VD_ETOOBIG;
    vd_ring_slot *slot = vd_ring_producer_reserve(r);
    if (!slot) {
        vd_ring_producer_drop(r);
        return VD_EFULL;
    }
    slot->length = length;
    slot->kind = kind;
    slot->time_ns = time_ns;
    slot->value = value;
    if (length) memcpy(slot->payload, payload, length);
    vd_ring_producer_commit(r);
    return VD_OK;
}

uint32_t vd_ring_producer_free(vd_ring *r) {
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* Pairs with the release store of head in vd_ring_consumer_release. */
    r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
    return r->slot_count - (uint32_t)(tail - r->head_cache);
}

const vd_ring_slot *vd_ring_consumer_peek(vd_ring *r) {
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed); /* only we write it */
    if (head == r->tail_cache) {
        /* Pairs with the release store of tail in vd_ring_producer_commit: the slot is fully written. */
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head == r->tail_cache) return NULL;
    }
    return slot_at(r, head);
}

void vd_ring_consumer_release(vd_ring *r) {
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    /* Release: our reads of the slot happen before the producer may reuse it (acquired in reserve). */
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

uint32_t vd_ring_count(const vd_ring *r) {
    /* Acquire both: a snapshot for either side; head first so the difference is never negative
     * when read from the consumer side. */
    uint64_t head = atomic_load_explicit(&((vd_ring *)r)->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&((vd_ring *)r)->tail, memory_order_acquire);
    return tail >= head ? (uint32_t)(tail - head) : 0;
}

uint32_t vd_ring_capacity(const vd_ring *r) { return r->slot_count; }
uint32_t vd_ring_slot_bytes(const vd_ring *r) { return r->slot_bytes; }
uint64_t vd_ring_dropped(const vd_ring *r) {
    return atomic_load_explicit(&((vd_ring *)r)->dropped, memory_order_relaxed);
}
