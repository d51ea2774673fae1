/* A lock-free single-producer / single-consumer ring of fixed-size slots.
 *
 * Thread rule: exactly one producer thread calls the `vd_ring_producer_*` / `vd_ring_push` functions
 * and exactly one consumer thread calls the `vd_ring_consumer_*` / `vd_ring_pop` functions; either
 * may read the counters. In voiced the uplink ring's producer is the call's NIO event loop and its
 * consumer the call's media thread; the downlink ring is the other way round.
 * Create and destroy run on a control thread while neither side uses the ring.
 *
 * Layout (capacity = 8, a power of two; indices grow without bound and wrap mod 2^64):
 *
 *     slot:   0    1    2    3    4    5    6    7
 *                  ^head              ^tail
 *                  |<- readable ----->|<- free ->...
 *
 *     invariant: head <= tail <= head + capacity   (so 0 <= count <= capacity)
 *
 * `tail` is written only by the producer (release) and read by the consumer (acquire); `head` is
 * written only by the consumer (release) and read by the producer (acquire). Each sits on its own
 * 64-byte cache line. A full ring never blocks and never grows: the push fails, and is counted.
 *
 * Realtime: every function but create/destroy is safe (no allocation, no locks, no syscalls).
 */
#ifndef VD_RING_H
#define VD_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vd_ring vd_ring;

/** One slot. `payload` holds up to the ring's `slot_bytes`; `length` says how many are valid. */
typedef struct vd_ring_slot {
    uint32_t length;   /**< Valid payload bytes. */
    uint32_t kind;     /**< Caller-defined tag (audio, silence gap, control command…). */
    uint64_t time_ns;  /**< Caller-defined time, in voiced the provider frame's monotonic arrival. */
    uint64_t value;    /**< Caller-defined extra word (a count, a pointer, a sequence number). */
    uint8_t payload[]; /**< `slot_bytes` bytes, 16-byte aligned. */
} vd_ring_slot;

typedef struct vd_ring_config {
    uint32_t slot_count; /**< Number of slots: a power of two, 2 … 65536. */
    uint32_t slot_bytes; /**< Payload bytes per slot: 0 … 65536 (rounded up to 16). */
} vd_ring_config;

/** Allocates a ring. Returns NULL and sets `*err` (VD_EINVAL, VD_ENOMEM) on failure. MUST be freed with vd_ring_destroy(). */
__attribute__((warn_unused_result))
vd_ring *_Nullable vd_ring_create(const vd_ring_config *_Nonnull cfg, int *_Nullable err);
/** Frees a ring. Accepts NULL. Neither side may use the ring afterwards. */
void vd_ring_destroy(vd_ring *_Nullable ring);

/** The next free slot, or NULL when the ring is full (the caller then counts a drop with vd_ring_producer_drop). Producer only. */
vd_ring_slot *_Nullable vd_ring_producer_reserve(vd_ring *_Nonnull ring);
/** Publishes the slot returned by the last vd_ring_producer_reserve. Producer only. */
void vd_ring_producer_commit(vd_ring *_Nonnull ring);
/** Counts one item the producer could not push. Producer only. */
void vd_ring_producer_drop(vd_ring *_Nonnull ring);
/** Copies `length` bytes into a new slot and publishes it. Returns VD_OK, VD_EFULL (counted as a drop) or VD_ETOOBIG. Producer only. */
__attribute__((warn_unused_result))
int vd_ring_push(vd_ring *_Nonnull ring, uint32_t kind, uint64_t time_ns, uint64_t value,
                 const void *_Nullable payload, uint32_t length);
/** Free slots as the producer sees them now (the consumer may free more at any time). Producer only. */
uint32_t vd_ring_producer_free(vd_ring *_Nonnull ring);

/** The oldest published slot, or NULL when the ring is empty. Valid until vd_ring_consumer_release. Consumer only. */
const vd_ring_slot *_Nullable vd_ring_consumer_peek(vd_ring *_Nonnull ring);
/** Frees the slot returned by the last vd_ring_consumer_peek. Consumer only. */
void vd_ring_consumer_release(vd_ring *_Nonnull ring);

/** Items readable now (a snapshot; exact only on the consumer thread). Any thread. */
uint32_t vd_ring_count(const vd_ring *_Nonnull ring);
/** Slot count given at create. Any thread. */
uint32_t vd_ring_capacity(const vd_ring *_Nonnull ring);
/** Payload bytes per slot (after rounding). Any thread. */
uint32_t vd_ring_slot_bytes(const vd_ring *_Nonnull ring);
/** Items dropped because the ring was full, since create. Any thread (relaxed read). */
uint64_t vd_ring_dropped(const vd_ring *_Nonnull ring);

#ifdef __cplusplus
}
#endif
#endif
