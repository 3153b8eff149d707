#include "jsonrpc/jsonrpcmessage.h"
