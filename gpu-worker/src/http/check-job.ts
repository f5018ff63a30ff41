// Refuses jobs the loaded models cannot run, before any NFE is spent.
import { needsPerturbed, nfeFloor, runSteps, type WorkerJob } from "@guidegate/shared";
import type { LoadedModel } from "../jobs/runner.ts";

export function checkJob(models: Map<string, LoadedModel>, job: WorkerJob): { message: string; param: string } | null {
  const loaded = models.get(job.model);
  if (!loaded) return { message: `This worker does not serve model "${job.model}".`, param: "model" };
  const m = loaded.model;
  if (job.width !== m.width || job.height !== m.height) {
    return { message: `Model ${m.name} generates ${m.width}x${m.height} images.`, param: "size" };
  }
  if (needsPerturbed(job.guidance) && !m.supportsPag) {
    const param = job.guidance.policy === undefined ? "guidance.rule.name" : "guidance.policy";
    return { message: `Model ${m.name} cannot do pag.`, param };
  }
  const sources = job.init_images?.length;
  if ((job.strength !== undefined || job.mask !== undefined) && sources === undefined)
    return { message: "strength and mask edit an image: send init_images.", param: "init_images" };
  if (sources !== undefined && !m.editable)
    return { message: `Model ${m.name} cannot edit images: it has no vae_encoder.`, param: "image" };
  if (sources !== undefined && job.n % sources !== 0)
    return { message: "n must be a multiple of the number of init_images.", param: "n" };
  // An edit runs only the last ceil(strength × steps) steps; zero-init steps (cfg_zero_star) evaluate
  // nothing: the floor is one NFE per image and step that runs the model.
  const floor = sources !== undefined ? runSteps(job.steps, job.strength) : nfeFloor(job.guidance, job.steps);
  if (job.max_nfe < job.n * floor)
    return { message: "max_nfe must allow at least one NFE per image and step that runs the model.", param: "max_nfe" };
  return null;
}
