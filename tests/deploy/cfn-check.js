// cfn-check.js: validate a CloudFormation template with npm's cfn-lint,
// against the resource specification of npm's @aws-cdk/cfnspec (newer
// than the one cfn-lint carries), for tests/deploy.bats.
//
//   node cfn-check.js NODE_MODULES TEMPLATE
//
// Prints every finding as "LEVEL: WHERE: MESSAGE"; exit 0 when there is
// no finding, 1 when there is one, 2 on a usage error.  cfn-lint's
// "Unhandled Intrinsic Function" notes are informational and dropped
// only for the functions listed in UNCHECKED (it cannot evaluate them,
// CloudFormation can).
'use strict';
const path = require('path');

const UNCHECKED = ['Fn::Split'];

if (process.argv.length !== 4) {
	console.error('usage: node cfn-check.js NODE_MODULES TEMPLATE');
	process.exit(2);
}
const nm = path.resolve(process.argv[2]);
const awsData = require(path.join(nm, 'cfn-lint/lib/awsData'));
awsData.awsResources = require(path.join(nm,
    '@aws-cdk/cfnspec/spec/specification.json'));
const validator = require(path.join(nm, 'cfn-lint/lib/validator'));

let r;
try {
	r = validator.validateFile(process.argv[3], {});
} catch (e) {
	console.log('crit: ' + process.argv[3] + ': ' + e.message.split('\n')[0]);
	process.exit(1);
}
let n = 0;
for (const level of ['crit', 'warn', 'info']) {
	for (const f of r.errors[level]) {
		if (level !== 'crit' && UNCHECKED.some((fn) =>
		    f.message.includes('Unhandled Intrinsic Function ' + fn)))
			continue;
		console.log(level + ': ' + f.resource + ': ' + f.message);
		n++;
	}
}
console.log('spec ' + awsData.awsResources.ResourceSpecificationVersion +
    ': ' + Object.keys(r.outputs || {}).length + ' outputs, ' + n +
    ' findings');
process.exit(n ? 1 : 0);
