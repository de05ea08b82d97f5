import { strict as assert } from "assert";
import { LocalConfig, ProductionConfig, StagingConfig } from "../../../components/config";
import { hostsSource, onlyConfigProblem, RawOverrides, validateStack } from "../../program/configHarness";

// Backups of the stacks (issue 17): what components/config/backup.ts accepts and refuses. How the program puts
// pgBackRest on the hosts is tests/program/backup.test.ts.

const HOSTS = hostsSource();

type Backup = ProductionConfig["backup"];
const backupOf = (stack: string, overrides: RawOverrides = {}): Backup => (validateStack(stack, overrides) as ProductionConfig | StagingConfig | LocalConfig).backup;

describe("config: backups", () => {
    it("are on by default in production, off on staging and local, kept 14 days", () => {
        assert.deepEqual(backupOf("prod"), { enabled: true, retentionDays: 14 });
        assert.deepEqual(backupOf("staging"), { enabled: false, retentionDays: 14 });
        assert.deepEqual(backupOf("local"), { enabled: false, retentionDays: 14 });
        assert.deepEqual(backupOf("staging", { backupEnabled: "true", backupRetentionDays: "30" }), { enabled: true, retentionDays: 30 });
        assert.equal(backupOf("prod", { backupEnabled: "false" }).enabled, false);
    });

    it("are off by default with hosts, even in production: those machines have no instance role", () => {
        assert.deepEqual(backupOf("prod", HOSTS), { enabled: false, retentionDays: 14 });
        assert.deepEqual(backupOf("staging", HOSTS), { enabled: false, retentionDays: 14 });
    });

    it("turn on where asked: local (its own engine needs no role) and a stack's EC2 host, with the days given", () => {
        assert.deepEqual(backupOf("local", { backupEnabled: "true", backupRetentionDays: "7" }), { enabled: true, retentionDays: 7 });
        assert.deepEqual(backupOf("prod", { backupEnabled: "true", backupRetentionDays: "90" }), { enabled: true, retentionDays: 90 });
    });

    it("can be turned off with hosts, which is the default there anyway", () => {
        assert.deepEqual(backupOf("prod", { ...HOSTS, backupEnabled: "false" }), { enabled: false, retentionDays: 14 });
    });

    it("keep backups from 1 to 3650 days", () => {
        assert.equal(backupOf("prod", { backupRetentionDays: "1" }).retentionDays, 1);
        assert.equal(backupOf("prod", { backupRetentionDays: "3650" }).retentionDays, 3650);
    });

    for (const [stack, overrides, expected] of [
        ["prod", { ...HOSTS, backupEnabled: "true" }, /backupEnabled needs the EC2 host this stack provisions .* and hosts is set/],
        ["staging", { ...HOSTS, backupEnabled: "true" }, /backupEnabled needs the EC2 host this stack provisions .* and hosts is set/],
        ["prod", { backupEnabled: "yes" }, /backupEnabled must be true or false \(got "yes"\)/],
        ["prod", { backupRetentionDays: "0" }, /backupRetentionDays must be a whole number from 1 to 3650 \(got "0"\)/],
        ["prod", { backupRetentionDays: "3651" }, /backupRetentionDays must be a whole number from 1 to 3650/],
        ["prod", { backupRetentionDays: "7.5" }, /backupRetentionDays must be a whole number/],
        ["staging", { backupRetentionDays: "30" }, /backupRetentionDays is only used when backups are on \(backupEnabled\)/],
        ["local", { backupRetentionDays: "30" }, /backupRetentionDays is only used when backups are on \(backupEnabled\)/],
        ["prod", { backupEnabled: "false", backupRetentionDays: "30" }, /backupRetentionDays is only used when backups are on \(backupEnabled\)/],
        ["prod", { ...HOSTS, backupRetentionDays: "30" }, /backupRetentionDays is only used when backups are on \(backupEnabled\)/],
    ] as [string, RawOverrides, RegExp][]) {
        it(`refuses ${stack} ${JSON.stringify(overrides).slice(0, 90)} with one clear message`, () => {
            assert.match(onlyConfigProblem(() => validateStack(stack, overrides)), expected);
        });
    }
});
