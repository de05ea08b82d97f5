// The one builder of the env file's stack values: the remote stacks (ComposeDeployment adds the web settings) and
// the local stack (LocalTarget adds its loopback web settings) both start from `stackEnv`.

import type { BaseImages } from "../config/types";

/** The secrets every environment's env file carries. */
export interface StackSecrets {
    readonly postgresPassword: string;
    readonly appDbPassword: string;
    readonly apiWriteToken: string;
}

/** Pinned base images of the Compose services (config's `baseImages`); unset ones keep the bundle's defaults. */
export type StackImages = Pick<BaseImages, "postgres" | "nginx" | "acme">;

/** The env file's values besides the web settings: database, app secrets and the pinned base images. */
export function stackEnv(secrets: StackSecrets, images: StackImages | undefined): Record<string, string> {
    const env: Record<string, string> = {
        POSTGRES_PASSWORD: secrets.postgresPassword,
        POSTGRES_APP_PASSWORD: secrets.appDbPassword,
        API_WRITE_TOKEN: secrets.apiWriteToken,
        POSTGRES_USER: "app",
        POSTGRES_DB: "app",
    };
    if (images?.postgres) env.POSTGRES_IMAGE = images.postgres;
    if (images?.nginx) env.NGINX_IMAGE = images.nginx;
    if (images?.acme) env.ACME_IMAGE = images.acme;
    return env;
}
