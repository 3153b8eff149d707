#include "logging/messagehandler.h"
