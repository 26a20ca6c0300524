// Salesforce's own Node SDK (fuel-rest 3 over fuel-auth 3) against this CRM's SFMC dialect, configured as an
// integration would be for real SFMC: only authUrl and the credentials point here.
//
// Usage: AUTH_URL=http://host/sfmc/v2/token CLIENT_ID=... CLIENT_SECRET=... node sfmc_fuel_rest.js
// Prints one JSON line per step. Before each step marked "after expiry" it prints {"step":"expire"} and waits
// for a line on stdin, so the test can expire the token in the database meanwhile.
'use strict';

const readline = require('readline');
const FuelRest = require('fuel-rest');

const TIMEOUT_MS = 20000;

const client = new FuelRest({
	auth: {
		clientId: process.env.CLIENT_ID,
		clientSecret: process.env.CLIENT_SECRET,
		authUrl: process.env.AUTH_URL,
		// SFMC's OAuth 2.0 endpoint (/v2/token); fuel-auth's default is the retired v1 requestToken.
		authOptions: { authVersion: 2 },
		globalReqOptions: { timeout: TIMEOUT_MS },
	},
	// No `origin`: fuel-rest cuts every URI after ".com/" and appends the rest to the token's
	// rest_instance_url, so the default origin must stay.
	globalReqOptions: { timeout: TIMEOUT_MS },
});

const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', () => {
	const next = waiting.shift();
	if (next) next();
});

function report(step, response) {
	process.stdout.write(
		JSON.stringify({
			step,
			status: response.res.statusCode,
			body: response.body,
			token: client.AuthClient.accessToken,
			restUrl: client.AuthClient.restUrl,
		}) + '\n',
	);
}

function expire() {
	process.stdout.write(JSON.stringify({ step: 'expire' }) + '\n');
	return new Promise((resolve) => waiting.push(resolve));
}

function contact(key) {
	return {
		contactKey: key,
		attributeSets: [
			{
				name: 'Email Addresses',
				items: [{ values: [{ name: 'Email Address', value: key }, { name: 'HTML Enabled', value: true }] }],
			},
		],
	};
}

async function main() {
	report('definitions', await client.get({ uri: '/contacts/v1/attributeSetDefinitions?$pageSize=2&$page=2' }));
	report('create', await client.post({ uri: '/contacts/v1/contacts', json: contact('fuel@example.com') }));
	await expire();
	report('definitions after expiry', await client.get({ uri: '/contacts/v1/attributeSetDefinitions?$pageSize=1' }));
	report('definitions again', await client.get({ uri: '/contacts/v1/attributeSetDefinitions?$pageSize=1' }));
	await expire();
	report('create after expiry', await client.post({ uri: '/contacts/v1/contacts', json: contact('again@example.com') }));
	report('create again', await client.post({ uri: '/contacts/v1/contacts', json: contact('again@example.com') }));
	lines.close();
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exit(1);
});
