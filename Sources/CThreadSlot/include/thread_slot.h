#ifndef SLUICE_THREAD_SLOT_H
#define SLUICE_THREAD_SLOT_H

/// One pointer per thread for SluiceJSON's reader states, as a C thread-local: Swift has no
/// thread-local storage of its own, and `pthread_getspecific`/`pthread_setspecific` cost about
/// as much per read as parsing a short value. Reached through the inline functions below, a
/// read is one load and one store relative to the thread pointer.
extern __thread void *sluice_json_reader_slot;
/// Whether this thread has registered its thread-exit cleanup for the slot.
extern __thread int sluice_json_reader_slot_registered;

/// The address of this thread's slot (stable for the thread's lifetime).
static inline void **sluice_json_reader_slot_address(void) { return &sluice_json_reader_slot; }

static inline int sluice_json_reader_slot_is_registered(void) { return sluice_json_reader_slot_registered; }
static inline void sluice_json_reader_slot_set_registered(void) { sluice_json_reader_slot_registered = 1; }

#endif
