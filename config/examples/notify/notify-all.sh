#!/bin/sh
# generic notify: keepalived appends TYPE NAME STATE PRIORITY, e.g. INSTANCE VI_1 MASTER 100
logger -t keepalived-notify "$1 $2 $3 $4"
