#!/bin/sh
# called by notify_master/backup/fault with one configured argument (master|backup|fault)
logger -t keepalived-notify "VI_1 is now $1"
