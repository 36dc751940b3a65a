// Validates Kubernetes manifests against the API's OpenAPI schemas, offline
// (the schemas ship inside the kubernetes-models npm package).
// Usage: node validate.mjs FILE.yaml...   exit 0 = all valid, 1 = errors.
import fs from "node:fs";
import yaml from "js-yaml";

const models = {
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/Service": "kubernetes-models/v1/Service",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "apps/v1/DaemonSet": "kubernetes-models/apps/v1/DaemonSet",
};

let errors = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const key = `${doc.apiVersion}/${doc.kind}`;
    const where = `${file}: ${key} ${doc.metadata?.name ?? "?"}`;
    if (!models[key]) {
      console.log(`FAIL ${where}: no schema for ${key}`);
      errors++;
      continue;
    }
    const mod = await import(models[key]);
    const Model = mod[doc.kind];
    try {
      new Model(doc).validate();
      console.log(`ok ${where}`);
    } catch (e) {
      console.log(`FAIL ${where}: ${e.message}`);
      errors++;
    }
  }
}
process.exit(errors ? 1 : 0);
