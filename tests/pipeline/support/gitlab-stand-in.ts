// A local stand-in for the two GitLab REST endpoints the note script uses:
//   GET  /api/v4/projects/:id/merge_requests/:iid/notes   (offset pagination, like GitLab)
//   POST /api/v4/projects/:id/merge_requests/:iid/notes
//   PUT  /api/v4/projects/:id/merge_requests/:iid/notes/:note_id
//   GET  /api/v4/user                                      (the token's own user)
// It listens on 127.0.0.1 on a random port and records every request.
import * as http from "http";
import { AddressInfo } from "net";

export interface StoredNote {
    id: number;
    body: string;
    system: boolean;
    author: { id: number; username: string };
}

export interface RecordedRequest {
    readonly method: string;
    readonly path: string;
    readonly token?: string;
    readonly body: string;
}

export interface GitlabStandIn {
    readonly url: string;
    readonly notes: StoredNote[];
    readonly requests: RecordedRequest[];
    close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

function noteBodyFrom(raw: string, contentType: string | undefined): string | undefined {
    if ((contentType ?? "").includes("application/json")) {
        const parsed = JSON.parse(raw) as { body?: unknown };
        return typeof parsed.body === "string" ? parsed.body : undefined;
    }
    return new URLSearchParams(raw).get("body") ?? undefined;
}

/** The user MR_NOTE_TOKEN belongs to in the stand-in. */
export const TOKEN_USER = { id: 7, username: "project_bot" };

export async function startGitlabStandIn(options: {
    projectId: string;
    mergeRequestIid: number;
    token: string;
    seed?: StoredNote[];
}): Promise<GitlabStandIn> {
    const notes: StoredNote[] = [...(options.seed ?? [])];
    const requests: RecordedRequest[] = [];
    let nextId = Math.max(1000, ...notes.map((n) => n.id + 1));
    const base = `/api/v4/projects/${encodeURIComponent(options.projectId)}/merge_requests/${options.mergeRequestIid}/notes`;

    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const body = await readBody(req);
        const token = (req.headers["private-token"] as string | undefined)
            ?? req.headers.authorization?.replace(/^Bearer\s+/i, "");
        requests.push({ method: req.method ?? "", path: url.pathname, token, body });
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "content-type": "application/json", ...headers });
            res.end(JSON.stringify(payload));
        };
        if (token !== options.token) {
            send(401, { message: "401 Unauthorized" });
            return;
        }
        if (req.method === "GET" && url.pathname === "/api/v4/user") {
            send(200, TOKEN_USER);
            return;
        }
        if (req.method === "GET" && url.pathname === base) {
            const perPage = Number(url.searchParams.get("per_page") ?? "20");
            const page = Number(url.searchParams.get("page") ?? "1");
            const totalPages = Math.max(1, Math.ceil(notes.length / perPage));
            const slice = notes.slice((page - 1) * perPage, page * perPage);
            const headers: Record<string, string> = {
                "x-page": String(page), "x-per-page": String(perPage),
                "x-total": String(notes.length), "x-total-pages": String(totalPages),
                "x-next-page": page < totalPages ? String(page + 1) : "",
                "x-prev-page": page > 1 ? String(page - 1) : "",
            };
            if (page < totalPages) {
                const next = new URL(url.toString());
                next.searchParams.set("page", String(page + 1));
                headers.link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
            }
            send(200, slice, headers);
            return;
        }
        if (req.method === "POST" && url.pathname === base) {
            const text = noteBodyFrom(body, req.headers["content-type"]);
            if (text === undefined) {
                send(400, { message: "body is missing" });
                return;
            }
            const note: StoredNote = { id: nextId++, body: text, system: false, author: TOKEN_USER };
            notes.push(note);
            send(201, note);
            return;
        }
        const edit = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(\\d+)$`).exec(url.pathname);
        if (req.method === "PUT" && edit) {
            const note = notes.find((n) => n.id === Number(edit[1]));
            const text = noteBodyFrom(body, req.headers["content-type"]);
            if (note === undefined) {
                send(404, { message: "404 Not found" });
                return;
            }
            if (text === undefined) {
                send(400, { message: "body is missing" });
                return;
            }
            note.body = text;
            send(200, note);
            return;
        }
        send(404, { message: `no stand-in route for ${req.method} ${url.pathname}` });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        notes,
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
