// The reference EIP-4361 implementation (npm `siwe`), for cross-checking the service's parser.
// stdin: {"build": {fields}} -> {"text": message}
//        {"parse": "message"} -> {"fields": {...}} or {"error": "..."}
//        {"verify": {"message", "signature"}} -> {"ok": bool, "error"?}
"use strict";
const fs = require("fs");
const { SiweMessage } = require("siwe");

async function main() {
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  if (request.build) {
    return { text: new SiweMessage(request.build).prepareMessage() };
  }
  if (request.parse !== undefined) {
    try {
      const message = new SiweMessage(request.parse);
      return { fields: JSON.parse(JSON.stringify(message)) };
    } catch (error) {
      return { error: String(error && (error.message || error.type || error)) };
    }
  }
  if (request.verify) {
    const message = new SiweMessage(request.verify.message);
    try {
      const result = await message.verify({ signature: request.verify.signature });
      return { ok: result.success };
    } catch (error) {
      return { ok: false, error: String(error && (error.error?.type || error.message || error)) };
    }
  }
  throw new Error("unknown request");
}

main().then((out) => process.stdout.write(JSON.stringify(out)));
