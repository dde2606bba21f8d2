import { z } from 'zod';

/** How one container's files were read and judged, for the report (and a reader who asks "was it looked at?"). */
export const ContainerRun = z.object({
  name: z.string(),
  id: z.string(),
  image: z.string(),
  project: z.string().optional(),
  service: z.string().optional(),
  state: z.string(),
  /**
   * running: /proc/PID/root of its init (the container's own view, mounts included);
   * layers: its overlay2 layers on disk (stopped, or offline); docker-cp: files copied by the engine;
   * none: its files could not be read
   */
  view: z.enum(['running', 'layers', 'docker-cp', 'none']),
  /** how the writable layer's changes were found */
  changesFrom: z.enum(['layer', 'docker-diff', 'none']),
  /** entries of the writable layer (and tmpfs mounts) judged */
  changes: z.number().int(),
  /** detectors run on the container's own files; the others' findings came from its image's scan */
  rescanned: z.array(z.string()),
  /** the image's findings were reused for the detectors not rescanned */
  imageScanReused: z.boolean(),
  findings: z.number().int(),
  ms: z.number(),
  /** fallbacks and limits, in plain words */
  notes: z.array(z.string()),
  /** set when the container's files could not be judged at all */
  error: z.string().optional(),
});
export type ContainerRun = z.infer<typeof ContainerRun>;

export const ContainerSection = z.object({
  /** docker: the engine was asked; disk: the data root was read */
  source: z.enum(['docker', 'disk']),
  dataRoot: z.string(),
  imageStore: z.enum(['classic', 'containerd']),
  /** images whose files were judged (once each) */
  images: z.number().int(),
  runs: z.array(ContainerRun),
  notes: z.array(z.string()),
});
export type ContainerSection = z.infer<typeof ContainerSection>;
