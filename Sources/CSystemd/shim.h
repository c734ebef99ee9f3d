#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H
// sd_notify, sd_watchdog_enabled and sd_journal_sendv are callable from Swift;
// the variadic sd_journal_send / sd_notifyf are not and are never used.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
