/* Umbrella header of the CAudio module. */
#include "vd_apm.h"
#include "vd_error.h"
#include "vd_g711.h"
#include "vd_opus.h"
#include "vd_resampler.h"
#include "vd_tts.h"
#include "vd_ring.h"
#include "vd_wake.h"
