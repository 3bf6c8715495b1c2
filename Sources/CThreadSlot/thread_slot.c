#include "thread_slot.h"

__thread void *sluice_json_reader_slot = 0;
__thread int sluice_json_reader_slot_registered = 0;
