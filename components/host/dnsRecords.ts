import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { rejectProblems } from "../checks";

export interface DnsRecordsArgs {
    /** The Route 53 hosted zone the names live in. */
    readonly zoneId: string;
    /** Every name to point at the host (a certificate's names). */
    readonly names: readonly string[];
    /** The host's public IPv4 address. */
    readonly address: pulumi.Input<string>;
    /** Seconds resolvers may keep an answer; short, so a replaced host is found soon. Defaults to 300. */
    readonly ttl?: number;
}

/**
 * A records pointing names at one host in a Route 53 zone. A record that already exists is not taken over
 * (allowOverwrite off): a name someone else serves must fail the `up`, not move silently.
 */
export class DnsRecords extends pulumi.ComponentResource {
    readonly fqdns: pulumi.Output<string[]>;
    readonly records: aws.route53.Record[];

    constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:host:DnsRecords", name, rejectProblems(`cicd:host:DnsRecords "${name}"`, args.names.length === 0 ? ["[names] names no record to create"] : []), opts);
        this.records = args.names.map(
            (fqdn) =>
                new aws.route53.Record(
                    `${name}-${fqdn.replace(/[^a-z0-9]+/g, "-")}`,
                    { zoneId: args.zoneId, name: fqdn, type: "A", ttl: args.ttl ?? 300, records: [args.address], allowOverwrite: false },
                    { parent: this },
                ),
        );
        this.fqdns = pulumi.all(this.records.map((r) => r.fqdn));
        this.registerOutputs({ fqdns: this.fqdns });
    }
}
