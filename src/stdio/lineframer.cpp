#include "stdio/lineframer.h"
