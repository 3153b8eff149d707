#include "logging/redactor.h"
