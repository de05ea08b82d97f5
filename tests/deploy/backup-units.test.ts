import { strict as assert } from "assert";
import { backupUnits, installScheduleCommand } from "../../components/backup";
import { TARGET } from "../components/backup/target";
import { docker, requireDocker } from "../support/docker";
import { ensureSimImages } from "../support/simHosts";

// The scheduled backup's systemd units (components/backup/hostFiles.ts) checked by systemd itself: systemd-analyze
// verify in the simulated host's image (Debian trixie's systemd). Apart from the other host-file tests
// (tests/components/backup) because it needs Docker.

describe("backup: the scheduled backup's systemd units", () => {
    it("systemd accepts both units (systemd-analyze verify on the simulated host's image) and enables the timer", async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        const { SIM_HOST_IMAGE } = await ensureSimImages();
        const units = backupUnits(TARGET, "ubuntu");
        const script = [
            "set -eu",
            "useradd ubuntu",
            `mkdir -p ${TARGET.bundleDir} && touch ${TARGET.bundleDir}/backup.sh`,
            // The install command as the host runs it, minus what needs a running systemd (and sudo: this is root).
            installScheduleCommand("production", units).replace(/^sudo systemctl (daemon-reload|enable --now .*)$/gm, ": $&").replace(/^systemctl list-timers.*$/m, "").replace(/sudo /g, ""),
            "cd /etc/systemd/system",
            "systemd-analyze verify gitlab-docker-delivery-backup-production.timer gitlab-docker-delivery-backup-production.service",
            // No systemd runs in the container: enable works on the files alone, as it would before a boot.
            "systemctl enable gitlab-docker-delivery-backup-production.timer 2>&1",
            "readlink timers.target.wants/gitlab-docker-delivery-backup-production.timer",
        ].join("\n");
        const result = await docker(["run", "--rm", "-i", "--label", "cicd.test=1", "--entrypoint", "bash", SIM_HOST_IMAGE, "-s"], { input: script, allowFailure: true });
        assert.equal(result.code, 0, result.stderr + result.stdout);
        assert.match(result.stdout, /^\/etc\/systemd\/system\/gitlab-docker-delivery-backup-production\.timer$/m);
    });
});
