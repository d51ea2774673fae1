// libopusenc from the system (Debian 12: libopusenc-dev, installed by scripts/install-deps): Ogg
// Opus files for call recordings (Sources/Bridge/Recording).
#include <opus/opusenc.h>
