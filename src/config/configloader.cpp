#include "config/configloader.h"
