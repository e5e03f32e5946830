// Ctrl-C and SIGTERM during a sweep: the handler only records the signal; the
// sweep notices it between points and while it waits for a point's process,
// stops that point, keeps every finished one, and says how to resume.
#pragma once

namespace lockbench {

// Installs the handlers for SIGINT and SIGTERM (without SA_RESTART, so a wait
// for a point's process returns at once).
void install_interrupt_handlers();

// The signal that arrived, or 0.
int interrupt_signal();

}  // namespace lockbench
