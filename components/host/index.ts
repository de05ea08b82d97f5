export * from "./commands";
export * from "./composeDeployment";
export * from "./ec2Host";
export * from "./localTarget";
export * from "./ec2Scripts";
export * from "./webPorts";
export * from "./dnsRecords";
export * from "./envFile";
