// tc_api.js - calls one SES action through Tencent's own Node SDK
// (tencentcloud-sdk-nodejs-ses), pointed at the gateway, for t_api.sh.
//
//   NODE_PATH=DIR/node_modules node tc_api.js ENDPOINT SECRETID SECRETKEY ACTION 'JSON'
//
// Prints the Response as JSON on success, "ERROR CODE MESSAGE" otherwise;
// exits 0 either way (1 only when the SDK itself cannot be loaded).
//
//   ... tc_api.js --raw ENDPOINT SECRETID SECRETKEY ACTION BODY [SKEW] [TIMES]
//
// signs BODY as it is (not JSON, say; @FILE: the file's content) with the SDK's own signer, with the
// timestamp SKEW seconds off (default 0), sends the same request TIMES
// times (default 1) and prints each answer's body on a line.
"use strict";
(function () {
let ses;
try {
	ses = require("tencentcloud-sdk-nodejs-ses");
} catch (e) {
	console.log("NOSDK " + e.message);
	process.exit(1);
}
if (process.argv[2] === "--raw") {
	raw(...process.argv.slice(3));
	return;
}
const [endpoint, secretId, secretKey, action, params] = process.argv.slice(2);
const client = new ses.ses.v20201002.Client({
	credential: { secretId, secretKey },
	region: "ap-hongkong",
	profile: { httpProfile: { endpoint, protocol: "http://", reqTimeout: 60 } },
});
client[action](JSON.parse(params || "{}")).then(
	(r) => console.log(JSON.stringify(r)),
	(e) => console.log("ERROR " + (e.code || "none") + " " + e.message)
);

async function raw(endpoint, secretId, secretKey, action, body, skew, times) {
	const Sign = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign").default;
	if (body.startsWith("@"))
		body = require("fs").readFileSync(body.slice(1), "utf8");
	const timestamp = Math.round(Date.now() / 1000) + Number(skew || 0);
	const url = "http://" + endpoint + "/";
	const auth = Sign.sign3({
		method: "POST", url, payload: Buffer.from(body), timestamp, service: "ses",
		secretId, secretKey, headers: { "Content-Type": "application/json" },
	});
	for (let i = 0; i < Number(times || 1); i++) {
		const r = await fetch(url, {
			method: "POST", body,
			headers: {
				"Content-Type": "application/json", Authorization: auth,
				"X-TC-Action": action, "X-TC-Version": "2020-10-02",
				"X-TC-Timestamp": String(timestamp), "X-TC-Region": "ap-hongkong",
			},
		});
		console.log(await r.text());
	}
}
})();
