// Validates an OpenAPI document (a file) against the official OpenAPI 3.1
// JSON schema with @seriousme/openapi-schema-validator, a validator that
// shares nothing with utoipa, which wrote the document; then resolves every
// $ref. Exits non-zero with the validator's errors when it is invalid.
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs openapi.json");
  process.exit(2);
}
const validator = new Validator();
const res = await validator.validate(file);
if (!res.valid) {
  console.error(JSON.stringify(res.errors, null, 2));
  process.exit(1);
}
if (validator.version !== "3.1") {
  console.error(`expected OpenAPI 3.1, the validator read ${validator.version}`);
  process.exit(1);
}
// Throws on a $ref that points nowhere.
validator.resolveRefs();
const paths = Object.keys(validator.specification.paths).length;
console.log(`valid OpenAPI ${validator.version}: ${paths} paths`);
