// The two GitLab calls the note needs (list the MR's notes; create or edit one), behind a
// small interface so that choosing which note to update stays a pure function.
import { Gitlab } from "@gitbeaker/rest";
import { NOTE_MARKER } from "./render";

export interface NoteRef {
    readonly id: number;
    readonly body: string;
    readonly system?: boolean;
    /** User id of the note's author. */
    readonly authorId?: number;
}

export interface MergeRequestNotesApi {
    /** Id of the user the token belongs to: only that user's notes can be ours. */
    currentUserId(): Promise<number>;
    list(): Promise<NoteRef[]>;
    create(body: string): Promise<NoteRef>;
    update(noteId: number, body: string): Promise<NoteRef>;
}

/**
 * The note this script posted earlier: the oldest non-system note by the token's own user that starts
 * with the marker. Anyone can write the marker; a commenter's planted copy is never taken for ours.
 */
export function findPreviewNote(notes: readonly NoteRef[], ownUserId: number): NoteRef | undefined {
    return [...notes]
        .filter((note) => !note.system && note.authorId === ownUserId && note.body.trimStart().startsWith(NOTE_MARKER))
        .sort((a, b) => a.id - b.id)[0];
}

export interface UpsertResult {
    readonly action: "created" | "updated";
    readonly noteId: number;
}

/** Updates our note in place if it exists, otherwise creates it: one note per merge request. */
export async function upsertPreviewNote(api: MergeRequestNotesApi, body: string): Promise<UpsertResult> {
    if (!body.startsWith(NOTE_MARKER)) {
        throw new Error("note body must start with the preview marker, or the next run could not find it");
    }
    const existing = findPreviewNote(await api.list(), await api.currentUserId());
    if (existing !== undefined) {
        const updated = await api.update(existing.id, body);
        return { action: "updated", noteId: updated.id };
    }
    const created = await api.create(body);
    return { action: "created", noteId: created.id };
}

export interface GitlabTarget {
    /** e.g. https://gitlab.example.com (CI_SERVER_URL). */
    readonly host: string;
    readonly token: string;
    readonly projectId: string | number;
    readonly mergeRequestIid: number;
}

/** The API over @gitbeaker/rest. */
export function gitbeakerNotesApi(target: GitlabTarget): MergeRequestNotesApi {
    const gitlab = new Gitlab({ host: target.host, token: target.token });
    const notes = gitlab.MergeRequestNotes;
    const toRef = (note: { id: number; body: string; system?: boolean; author?: { id: number } }): NoteRef =>
        ({ id: note.id, body: note.body, system: note.system, authorId: note.author?.id });
    return {
        async currentUserId() {
            return (await gitlab.Users.showCurrentUser()).id;
        },
        async list() {
            const all = await notes.all(target.projectId, target.mergeRequestIid, { sort: "asc", orderBy: "created_at" });
            return all.map(toRef);
        },
        async create(body) {
            return toRef(await notes.create(target.projectId, target.mergeRequestIid, body));
        },
        async update(noteId, body) {
            return toRef(await notes.edit(target.projectId, target.mergeRequestIid, noteId, { body }));
        },
    };
}
