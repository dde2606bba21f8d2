/** The isolation modes, light (no zod) for the command's flags and help at start-up. */
export const MODES = ['down', 'stop', 'pause', 'network'] as const;
export type Mode = (typeof MODES)[number];

/** What each mode keeps: printed by the help, the plan and docs/isolate.md. */
export const MODE_KEEPS: Record<Mode, string> = {
  down: 'stops the containers, copies their writable layers into the snapshot, then removes containers and networks (never volumes): process memory and container logs are gone; the snapshot (logs, layers) is all that remains',
  stop: 'keeps containers, their writable layers and logs (docker diff/export still work); process memory is lost',
  pause: 'freezes every process (cgroup freezer): memory, writable layer and logs kept; network sockets stay open but nothing answers',
  network: 'disconnects every container from every network: processes keep running for live forensics, no traffic in or out',
};
