#include "transport/sseparser.h"
