// Generated from openapi.yaml by `npm run generate`. Do not edit.
export interface paths {
    "/register/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register with username and password, receive tokens
         * @description Creates a user with the `member` role and returns an access and a refresh token (the movie-collections system's registration). Usernames are unique case-insensitively (409 when taken). Passwords are 8 to 1024 characters. The registrations share one limit per client address.
         */
        post: operations["registerCollectionsUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/register/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register a user
         * @description Creates a user with the `member` role and returns it (the messages-api registration; JSON or form-encoded). Username unique case-insensitively, email unique when given (409 for either). Passwords are 8 to 1024 characters. The registrations share one limit per client address.
         */
        post: operations["registerUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/token/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with username and password
         * @description Returns an access token and a refresh token (JSON or form-encoded). Wrong username or wrong password give the same 401, so the answer never tells whether a username exists; the right password of a disabled account is a 403 `login_disabled`. Every attempt is an audit event. Login limits: the logins (this one and `POST /api/v1/authenticate`) share one limit per client address (`RATE_LIMIT_AUTH_MAX` attempts per `RATE_LIMIT_AUTH_WINDOW_MS`). And one account's repeated failures are slowed from any address, by its username or its email, in any spelling the login accepts: after `LOGIN_BACKOFF_FREE_FAILURES` failed attempts (5) each further attempt must wait 1 s, then 2 s, 4 s… up to `LOGIN_BACKOFF_MAX_MS` (60 s), the right password included; a success clears it, and failures are forgotten after 15 minutes without one. Never a lockout. Both answer 429 with `Retry-After`; both are kept in Redis when it is configured, so they hold across replicas.
         */
        post: operations["obtainTokenPair"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/token/refresh/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new token pair
         * @description Rotates the refresh token: the one sent is spent and a new access and refresh token are returned (JSON or form-encoded). Presenting a spent refresh token again revokes its whole family (every token descended from the same login) and answers 401. Expired, revoked or unknown tokens are 401. The new access token carries the user's current role.
         */
        post: operations["refreshTokenPair"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/token/revoke/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke a refresh token (log out)
         * @description Revokes the refresh token sent and its whole family, so no further access tokens can be obtained from that login (JSON or form-encoded). Access tokens already issued stay valid until they expire. An unknown, expired or already revoked token is 401.
         */
        post: operations["revokeRefreshToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/user": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The user the token belongs to
         * @description Returns the caller's user record, role and permissions, read from the database (so a role changed since the token was issued shows here). Any valid token of a Marquee user; 404 when that user has been deleted since.
         */
        get: operations["getCurrentUser"];
        put?: never;
        /**
         * Register with email and password, receive a token
         * @description Creates a `member` user whose username is the lower-cased email, and returns its id and an access token (the users-api-flask registration). 409 when the email (or that username) is already in use. Passwords are 8 to 1024 characters: the old system's six-character examples are refused on purpose. The registrations share one limit per client address.
         */
        post: operations["createV1User"];
        /**
         * Delete your own account
         * @description Deletes the caller's account, confirmed with its password (401 when wrong). Its refresh tokens, collections and messages go with it (a user's messages are deleted with their author); its tokens are 401 from then on, and the username and email may be registered again. The last active admin cannot delete itself (409 `last_admin`). Leaves a `deleted` audit event.
         */
        delete: operations["deleteCurrentUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/user/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change your own password (and sign out everywhere)
         * @description Sets a new password after checking the current one (401 when wrong); the new one follows the registration rules (8 to 1024 characters, 400). Every refresh token of the user is revoked and every access token issued before is refused at once, on every replica: this is "sign out everywhere". Leaves a `password_changed` audit event. Rate limited per client, as logins are (the current password is checked).
         */
        put: operations["changeCredentials"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/authenticate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with email and password, receive a token
         * @description Returns the user's id and an access token (the users-api-flask login). Wrong email or wrong password give the same 401; the right password of a disabled account is a 403 `login_disabled`. Every attempt is an audit event. Login limits: the logins (this one and `POST /api/auth/token/`) share one limit per client address (`RATE_LIMIT_AUTH_MAX` attempts per `RATE_LIMIT_AUTH_WINDOW_MS`). And one account's repeated failures are slowed from any address, by its username or its email, in any spelling the login accepts: after `LOGIN_BACKOFF_FREE_FAILURES` failed attempts (5) each further attempt must wait 1 s, then 2 s, 4 s… up to `LOGIN_BACKOFF_MAX_MS` (60 s), the right password included; a success clears it, and failures are forgotten after 15 minutes without one. Never a lockout. Both answer 429 with `Retry-After`; both are kept in Redis when it is configured, so they hold across replicas.
         */
        post: operations["authenticateV1"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Lists users, oldest first, one page at a time, optionally only those of a role, only active or disabled ones, and only usernames starting with a prefix (case-insensitive; `%` and `_` match themselves); `total_users` counts the matching users. Requires `manage:users` (admins).
         */
        get: operations["listUsers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a user
         * @description Deletes the user with their refresh tokens, collections and messages; their tokens are 401 from then on and the username and email may be registered again. The last active admin cannot be deleted (409 `last_admin`). Leaves a `deleted` audit event. Requires `manage:users` (admins).
         */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        /**
         * Change a user's role, or disable or enable the account
         * @description Sets the user's role and/or `active`. A role's `is_staff` follows (true for admins only) and the permissions become those of the new role, at once (within 1 second on the deployment's other servers): every request is checked against the user's current role, so tokens issued before the change grant the new role's permissions only (a demoted admin's old token may still read, but no longer manage users), and refresh issues the new role. `active: false` refuses the user's tokens at once (401 `account_disabled`), revokes their refresh tokens and makes their login a 403 `login_disabled`; `active: true` lets them sign in again. **The last active admin** cannot be demoted or disabled (409 `last_admin`), however many admins try at the same moment. Each changed value leaves one audit event (`role_changed`, `disabled`, `enabled`). Requires `manage:users` (admins).
         */
        patch: operations["updateUserRole"];
        trace?: never;
    };
    "/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit trail
         * @description Security events, newest first, one page at a time: role changes, disables and enables, deletions and password changes (actor, target, time, request id, before/after), and sign-ins and failed sign-ins (with the address). Append-only: the database refuses changes to it, except the purge of events older than `AUDIT_RETENTION_DAYS` (default 365). Never holds a password or a token. Requires `manage:users` (admins).
         */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/actors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List actors
         * @description Lists actors by id, one page at a time. Requires `get:actors`.
         */
        get: operations["listActors"];
        put?: never;
        /**
         * Create an actor
         * @description Creates an actor, optionally cast in existing movies (`movies_id`, or its alias `movies`; duplicate ids are merged). An unknown movie id is 422. Requires `post:actors`.
         */
        post: operations["createActor"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/actors/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /**
         * Get an actor with their movies
         * @description Returns the actor with its movies embedded. Requires `get:actor-details`.
         */
        get: operations["getActor"];
        put?: never;
        post?: never;
        /**
         * Delete an actor
         * @description Deletes the actor. Refused with 409 when the actor is the only actor of any movie (the message names those movies). Requires `del:actors`.
         */
        delete: operations["deleteActor"];
        options?: never;
        head?: never;
        /**
         * Update an actor
         * @description Partial update: only the fields sent change. `movies_id` (or `movies`) replaces the actor's movie list. Refused with 409 when the new list would leave a movie with no actor (the message names those movies), 422 for an unknown movie id. Requires `patch:actor`.
         */
        patch: operations["updateActor"];
        trace?: never;
    };
    "/actor-details/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /**
         * Get an actor with their movies (rbac alias)
         * @description Same as `getActor`, at the casting-agency-rbac path. Requires `get:actor-details`.
         */
        get: operations["getActorDetails"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/movies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List movies
         * @description Lists movies by id, one page at a time. Requires `get:movies`.
         */
        get: operations["listMovies"];
        put?: never;
        /**
         * Create a movie
         * @description Creates a movie with its cast. Needs a title, a release date (`release_date`, or the deprecated `date_release`) and the actor ids (`actors_id`, or its alias `actors`; duplicates are merged). An empty cast or an unknown actor id is 422. Requires `post:movies`.
         */
        post: operations["createMovie"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/movies/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /**
         * Get a movie with its actors
         * @description Returns the movie with its actors embedded. Requires `get:movie-details`.
         */
        get: operations["getMovie"];
        put?: never;
        post?: never;
        /**
         * Delete a movie
         * @description Deletes the movie; its actors remain. Requires `del:movies`.
         */
        delete: operations["deleteMovie"];
        options?: never;
        head?: never;
        /**
         * Update a movie
         * @description Partial update: only the fields sent change. `actors_id` (or `actors`) replaces the cast; an empty cast or an unknown actor id is 422. Requires `patch:movie`.
         */
        patch: operations["updateMovie"];
        trace?: never;
    };
    "/movie-details/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /**
         * Get a movie with its actors (rbac alias)
         * @description Same as `getMovie`, at the casting-agency-rbac path. Requires `get:movie-details`.
         */
        get: operations["getMovieDetails"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/catalog/movies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Browse the movie catalogue
         * @description One page (10 movies) of the third-party catalogue, fetched live with a per-attempt timeout, retries with backoff and jitter, and a circuit breaker. `next` and `previous` point at this endpoint, never at the upstream, as absolute URLs built from the configured `PUBLIC_URL`; when it is not set, from the request's scheme and `Host` (`X-Forwarded-Proto` and `X-Forwarded-Host` only with `TRUST_PROXY`), and a host that is not in `ALLOWED_HOSTS` is a 400 `malformed_request`, before the upstream is called: a forged `Host` never reaches a link a shared cache could keep. When the upstream fails, the last good copy of the page is served with `X-Catalog-Stale: true`; with no copy the answer is 503, and a malformed upstream answer is 502. A page past the end is 404. Catalogue fields pass through unchanged. Any valid token.
         */
        get: operations["listCatalogMovies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collection/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my collections and favourite genres
         * @description The caller's collections (without their movies) and their top 3 genres. Genres are counted over the distinct movies of all the caller's collections (a movie in several collections counts once), split on commas, trimmed and compared case-insensitively; ties are broken alphabetically; the result is joined with `", "`, and is an empty string when there are none. Each genre is shown in the spelling most of those movies use (on a tie, the first in code-point order, so `Drama` before `drama`). Collections are listed oldest first. Any valid token.
         */
        get: operations["listCollections"];
        put?: never;
        /**
         * Create a collection
         * @description Creates a collection owned by the caller with the movies given (catalogue fields as the catalogue returned them; a uuid listed twice is stored once). Any valid token.
         */
        post: operations["createCollection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collection/{uuid}/": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        /**
         * Get one of my collections with its movies
         * @description The collection and its movies. Only the owner sees it; anyone else gets 404.
         */
        get: operations["getCollection"];
        /**
         * Update one of my collections
         * @description Changes any of title, description and movies; `movies`, when sent, replaces the whole list. Only the owner may; anyone else gets 404.
         */
        put: operations["updateCollection"];
        post?: never;
        /**
         * Delete one of my collections
         * @description Deletes the collection and its movie list. Only the owner may; anyone else gets 404.
         */
        delete: operations["deleteCollection"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collection/{uuid}/movies": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add one movie to one of my collections
         * @description Adds a catalogue movie without resending the list. A movie already in the collection is kept once, with the fields sent. Only the owner may; anyone else gets 404.
         */
        post: operations["addCollectionMovie"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collection/{uuid}/movies/{movie_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
                /**
                 * @description The catalogue movie's uuid.
                 * @example 57baf4f4-c9ef-4197-9e4f-acf04eae5b4d
                 */
                movie_uuid: components["parameters"]["MovieUuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove one movie from one of my collections
         * @description Removes the movie from the collection. 404 when the collection is not the caller's or the movie is not in it.
         */
        delete: operations["removeCollectionMovie"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/request-count/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How many requests the server has received
         * @description The number of requests received since the last reset, by all server processes together: every route, errors and 404s included. A request is counted on arrival, so the figure includes this request itself. A Redis outage never fails a request; increments made meanwhile are kept and added when Redis is back, and this endpoint then answers with what the process knows and `X-Request-Count-Partial: true`. Any valid token. 404 when the server runs with `REQUEST_COUNTER=false`.
         */
        get: operations["getRequestCount"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/request-count/reset/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reset the request counter
         * @description Sets the shared count to zero (the reset request itself, counted on arrival, is wiped with the rest). Takes no body. Requires `reset:request-count` (admins). While Redis is unreachable the count cannot be reset for every process: 503 with `Retry-After`, nothing changed. 404 when the server runs with `REQUEST_COUNTER=false`.
         */
        post: operations["resetRequestCount"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List messages
         * @description Messages, newest first (`created_at` descending, then `id` descending), with `limit` and `offset`. Anyone may read. Listing does not change view counts.
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Post a message
         * @description Creates a message authored by the caller, with 0 views. Content is 1 to 160 characters and not only whitespace. Any valid token.
         */
        post: operations["createMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/messages/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /**
         * Read a message (counts a view)
         * @description Returns the message after adding one to its `views`, atomically, so concurrent reads are all counted and each sees its own new value. Anyone may read. The `ETag` follows the message's content (id, content, author, `updated_at`), not its view count, so a read answered 304 because of `If-None-Match` still counts its view.
         */
        get: operations["getMessage"];
        /**
         * Replace a message's content
         * @description Sets the content and resets `views` to 0. Only the author or an admin may (403 otherwise).
         */
        put: operations["replaceMessage"];
        post?: never;
        /**
         * Delete a message
         * @description Deletes the message. Only the author or an admin may (403 otherwise).
         */
        delete: operations["deleteMessage"];
        options?: never;
        head?: never;
        /**
         * Update a message's content
         * @description Same as `replaceMessage` (content is the only field): sets the content and resets `views` to 0. Only the author or an admin may (403 otherwise).
         */
        patch: operations["updateMessage"];
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description Answers 200 while the process is up; checks no dependency (use `/ready` for that). Anyone.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description Answers 200 when the database answers and Redis (when configured) answers; 503 otherwise, with `details` naming each dependency that is down. Anyone.
         */
        get: operations["getReady"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Interactive API documentation
         * @description An HTML page rendering this document. Its assets under `/docs/assets/` are static files outside this contract. Anyone.
         */
        get: operations["getDocs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Redirect to the documentation
         * @description Redirects to `/docs`. Anyone.
         */
        get: operations["getRoot"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.yaml": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document, as YAML
         * @description The contract the server runs on, as YAML. Anyone.
         */
        get: operations["getOpenApiYaml"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document, as JSON
         * @description The contract the server runs on, as JSON. Anyone.
         */
        get: operations["getOpenApiJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description Metrics in the Prometheus text exposition format, behind the `metricsToken` scheme. When `METRICS_TOKEN` is configured, the request must carry it as `Authorization: Bearer <METRICS_TOKEN>` (a user's access token does not do), and is 401 otherwise. When it is not: with `NODE_ENV=production` the route answers 404 to everyone (metrics are never public in production); otherwise it is open.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description A row id, as PostgreSQL's `integer` holds it. In a path or query string it must be written in canonical decimal (the `pattern`, applied to the text as sent); anything else is a 400 and touches nothing.
         * @example 1
         */
        Id: number;
        /** @description The one error shape of every non-2xx response. */
        Error: {
            /** @constant */
            success: false;
            /** @description The HTTP status code. */
            error: number;
            code: components["schemas"]["ErrorCode"];
            /** @description A short human-readable explanation. */
            message: string;
            /** @description Per-field problems, where useful: at most 20, then one more item (`field` the request part, such as `body`) that says how many were left out. */
            details?: {
                field: string;
                message: string;
            }[];
        };
        /** @description What went wrong, stable across releases: switch on this, not on `message`. Each response lists the codes it can carry; one code always comes with the same status, its `x-status` (the server's code-to-status table is generated from it). An error of the HTTP layer that names no code gets the first code listed here for its status. */
        ErrorCode: string & ("validation_failed" | "malformed_request" | "invalid_cursor" | "unauthorized" | "account_disabled" | "forbidden" | "login_disabled" | "not_found" | "method_not_allowed" | "conflict" | "username_taken" | "email_taken" | "idempotency_in_progress" | "last_actor_of_movie" | "last_admin" | "request_timeout" | "precondition_failed" | "payload_too_large" | "unsupported_media_type" | "headers_too_large" | "movie_needs_actor" | "unknown_reference" | "idempotency_key_reused" | "rate_limited" | "internal_error" | "not_implemented" | "bad_gateway" | "dependency_unavailable" | "timed_out");
        /**
         * @description A user's role. `x-permissions` lists each role's permissions, the one table the server, the generated clients and docs/casting.md are made from; a role added here with its permissions works without a code change.
         * @enum {string}
         */
        Role: "member" | "casting_assistant" | "casting_director" | "executive_producer" | "admin";
        /** @enum {string} */
        Permission: "get:actors" | "get:actor-details" | "get:movies" | "get:movie-details" | "post:actors" | "del:actors" | "patch:actor" | "patch:movie" | "post:movies" | "del:movies" | "manage:users" | "reset:request-count";
        User: {
            id: number;
            /** @description Unique, compared case-insensitively. For users registered by email alone, the lower-cased email. */
            username: string;
            /**
             * Format: email
             * @description Unique when present.
             */
            email: string | null;
            first_name: string;
            last_name: string;
            /** @description True for admins only. */
            is_staff: boolean;
            /** @description False once an admin disabled the account: its tokens are refused (401 `account_disabled`) and its login with the right password is a 403 `login_disabled`. */
            active: boolean;
            role: components["schemas"]["Role"];
            /** @description The permissions of the user's role. */
            permissions: components["schemas"]["Permission"][];
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        Credentials: {
            username: components["schemas"]["NewUsername"];
            password: string;
        };
        /** @description Not blank; stored without surrounding whitespace, and unique compared case-insensitively. */
        NewUsername: string;
        RegisterRequest: {
            username: components["schemas"]["NewUsername"];
            password: string;
            /** Format: email */
            email?: string;
            first_name?: string;
            last_name?: string;
        };
        LoginRequest: {
            /** @description A username (users registered by email alone log in with their email). */
            username: string;
            /** @description Any length is checked against the stored hash; a wrong one is 401, not 400. */
            password: string;
        };
        TokenPair: {
            /** @description Access JWT. */
            access: string;
            /** @description Refresh token; spent when used. */
            refresh: string;
        };
        TokenPairLong: {
            /** @description Access JWT. */
            access_token: string;
            /** @description Refresh token (use with `refreshTokenPair`). */
            refresh_token: string;
        };
        RefreshRequest: {
            refresh: string;
        };
        EmailCredentials: {
            /** Format: email */
            email: string;
            password: string;
        };
        EmailLogin: {
            /** Format: email */
            email: string;
            password: string;
        };
        IdToken: {
            /** @description The user's id. */
            id: number;
            /** @description Access JWT. */
            token: string;
        };
        UserList: {
            /** @constant */
            success: true;
            users: components["schemas"]["User"][];
            total_users: number;
            page: number;
            limit: number;
        };
        UserUpdate: {
            role?: components["schemas"]["Role"];
            /** @description False disables the account (its tokens and refresh tokens stop working at once); true enables it. */
            active?: boolean;
        };
        PasswordChange: {
            current_password: string;
            new_password: string;
        };
        PasswordConfirmation: {
            password: string;
        };
        /**
         * @description What happened. `role_changed`, `disabled`, `enabled`, `deleted` and `password_changed` carry the actor and target, and `before`/`after` hold the values that changed (`role`, `active`); `signed_in` and `sign_in_failed` carry the address (`after.reason` says why a sign-in failed). No event ever holds a password, a hash or a token.
         * @enum {string}
         */
        AuditAction: "role_changed" | "disabled" | "enabled" | "deleted" | "password_changed" | "signed_in" | "sign_in_failed";
        AuditEvent: {
            id: number;
            /** Format: date-time */
            at: string;
            action: components["schemas"]["AuditAction"];
            /** @description The user who acted; null for the command line and for anonymous sign-in attempts. */
            actor_id: number | null;
            /** @description That user's username when it acted, or `command line`. */
            actor: string | null;
            /** @description The account acted on; null for a failed sign-in with an unknown name. */
            target_id: number | null;
            /** @description That account's username at the time (it stays after a deletion). */
            target: string | null;
            /** @description The request's X-Request-Id. */
            request_id: string | null;
            /** @description The client address. */
            address: string | null;
            before: {
                [key: string]: unknown;
            } | null;
            after: {
                [key: string]: unknown;
            } | null;
        };
        AuditList: {
            /** @constant */
            success: true;
            events: components["schemas"]["AuditEvent"][];
            total_events: number;
            page: number;
            limit: number;
        };
        /** @enum {string} */
        Gender: "M" | "F" | "X";
        MovieSummary: {
            id: number;
            title: string;
            /** Format: date */
            release_date: string;
        };
        ActorSummary: {
            id: number;
            name: string;
            age: number;
            gender: components["schemas"]["Gender"];
        };
        Actor: {
            id: number;
            name: string;
            age: number;
            gender: components["schemas"]["Gender"];
            /** @description Ids of the movies the actor is in. */
            movies_id: number[];
        };
        ActorDetail: components["schemas"]["Actor"] & {
            /** @description The actor's movies. */
            movies: components["schemas"]["MovieSummary"][];
        };
        Movie: {
            id: number;
            title: string;
            /** Format: date */
            release_date: string;
            /**
             * @deprecated
             * @description the all-stars seed's spelling, YYYYMMDD
             */
            date_release: string;
            /** @description Ids of the movie's actors (never empty). */
            actors_id: number[];
        };
        MovieDetail: components["schemas"]["Movie"] & {
            /** @description The movie's actors. */
            actors: components["schemas"]["ActorSummary"][];
        };
        ActorCreate: {
            name: string;
            age: number;
            gender: components["schemas"]["Gender"];
            /** @description Ids of existing movies to cast the actor in; duplicates are merged. */
            movies_id?: number[];
            /** @description Alias of `movies_id` (the rbac seed's name). */
            movies?: number[];
        };
        ActorUpdate: {
            name?: string;
            age?: number;
            gender?: components["schemas"]["Gender"];
            /** @description Replaces the actor's movies; duplicates are merged. */
            movies_id?: number[];
            /** @description Alias of `movies_id` (the rbac seed's name). */
            movies?: number[];
        };
        MovieCreate: {
            title: string;
            /**
             * Format: calendar-date
             * @description A day that exists, as an ISO date (YYYY-MM-DD); the rbac seed's DD-MM-YYYY is also accepted. With `date_release`, both must name the same day.
             */
            release_date?: string;
            /**
             * Format: compact-date
             * @deprecated
             * @description A day that exists, as YYYYMMDD.
             */
            date_release?: string;
            /** @description Ids of the movie's actors; duplicates are merged; empty is a 422. */
            actors_id?: number[];
            /** @description Alias of `actors_id` (the rbac seed's name). */
            actors?: number[];
        } & ((unknown | unknown) & (unknown | unknown));
        MovieUpdate: {
            title?: string;
            /**
             * Format: calendar-date
             * @description A day that exists, as an ISO date (YYYY-MM-DD); the rbac seed's DD-MM-YYYY is also accepted. With `date_release`, both must name the same day.
             */
            release_date?: string;
            /**
             * Format: compact-date
             * @deprecated
             * @description A day that exists, as YYYYMMDD.
             */
            date_release?: string;
            /** @description Replaces the cast; duplicates are merged; empty is a 422. */
            actors_id?: number[];
            /** @description Alias of `actors_id` (the rbac seed's name). */
            actors?: number[];
        };
        ActorList: {
            /** @constant */
            success: true;
            actors: components["schemas"]["Actor"][];
            total_actors: number;
        };
        MovieList: {
            /** @constant */
            success: true;
            movies: components["schemas"]["Movie"][];
            total_movies: number;
        };
        ActorResponse: {
            /** @constant */
            success: true;
            actor: components["schemas"]["ActorDetail"];
        };
        MovieResponse: {
            /** @constant */
            success: true;
            movie: components["schemas"]["MovieDetail"];
        };
        ActorWritten: {
            /** @constant */
            success: true;
            actor_id: number;
            actor: components["schemas"]["ActorDetail"];
        };
        MovieWritten: {
            /** @constant */
            success: true;
            movie_id: number;
            movie: components["schemas"]["MovieDetail"];
        };
        ActorDeleted: {
            /** @constant */
            success: true;
            /** @description The deleted actor's id. */
            deleted: number;
            /** @description The deleted actor's id. */
            actor_id: number;
            /** @description The actor as it was just before deletion (the rbac seed returns the deleted record). */
            actor?: components["schemas"]["ActorDetail"];
        };
        MovieDeleted: {
            /** @constant */
            success: true;
            /** @description The deleted movie's id. */
            deleted: number;
            /** @description The deleted movie's id. */
            movie_id: number;
            /** @description The movie as it was just before deletion (the rbac seed returns the deleted record). */
            movie?: components["schemas"]["MovieDetail"];
        };
        /** @description A catalogue movie; fields pass through from the catalogue unchanged. */
        CatalogMovie: {
            title: string;
            description?: string | null;
            /** @description comma separated, if present */
            genres?: string | null;
            /** Format: uuid */
            uuid: string;
        };
        /** @description A catalogue movie as sent in a collection request. */
        CatalogMovieInput: {
            title: string;
            description?: string | null;
            /** @description comma separated, if present */
            genres?: string | null;
            /** Format: uuid */
            uuid: string;
        };
        CatalogPage: {
            /** @description How many movies the catalogue holds. */
            count: number;
            /**
             * Format: uri
             * @description This endpoint's URL for the next page; null on the last page.
             */
            next: string | null;
            /**
             * Format: uri
             * @description This endpoint's URL for the previous page; null on the first page.
             */
            previous: string | null;
            data: components["schemas"]["CatalogMovie"][];
        };
        CollectionSummary: {
            /** Format: uuid */
            uuid: string;
            title: string;
            description: string | null;
        };
        CollectionList: {
            /** @constant */
            is_success: true;
            data: {
                collections: components["schemas"]["CollectionSummary"][];
                /**
                 * @description The top 3 genres over the caller's collections, joined with ", "; empty when there are none.
                 * @example Drama, Comedy, Action
                 */
                favourite_genres: string;
            };
        };
        CollectionCreate: {
            title: string;
            description?: string | null;
            movies: components["schemas"]["CatalogMovieInput"][];
        };
        CollectionUpdate: {
            title?: string;
            description?: string | null;
            /** @description Replaces the whole movie list. */
            movies?: components["schemas"]["CatalogMovieInput"][];
        };
        CollectionCreated: {
            /** Format: uuid */
            collection_uuid: string;
        };
        Collection: {
            /** Format: uuid */
            uuid: string;
            title: string;
            description: string | null;
            movies: components["schemas"]["CatalogMovie"][];
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        RequestCount: {
            /** @description Requests received since the last reset, this one included. */
            requests: number;
        };
        RequestCountReset: {
            /** @example request count reset successfully */
            message: string;
        };
        Author: {
            id: number;
            username: string;
        };
        Message: {
            id: number;
            content: string;
            views: number;
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date-time
             * @description When the content was last set; counting a view does not change it.
             */
            updated_at: string;
            author: components["schemas"]["Author"];
        };
        MessageInput: {
            /** @description Counted in Unicode code points (an emoji is one, a combining accent is one more); whitespace-only, NUL characters and lone surrogates refused. */
            content: string;
        };
        Health: {
            /** @constant */
            status: "ok";
        };
        Ready: {
            /** @constant */
            status: "ok";
            checks: {
                /** @constant */
                database: "ok";
                /**
                 * @description `disabled` when no REDIS_URL is configured (in-process counter).
                 * @enum {string}
                 */
                redis: "ok" | "disabled";
            };
        };
    };
    responses: {
        /** @description The request breaks the schema (`details` names each offending field), or its `cursor` is malformed or belongs to another list (`invalid_cursor`). */
        ListBadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 400,
                 *       "code": "invalid_cursor",
                 *       "message": "invalid cursor"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "validation_failed" | "malformed_request" | "invalid_cursor";
                };
            };
        };
        /** @description The `If-None-Match` tag is still current; no body. */
        NotModified: {
            headers: {
                ETag: components["headers"]["ETag"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The `If-Match` tag is not the resource's current one; nothing changed. */
        PreconditionFailed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 412,
                 *       "code": "precondition_failed",
                 *       "message": "the resource has changed"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "precondition_failed";
                };
            };
        };
        /** @description A request with the same `Idempotency-Key` is still being answered; retry after `Retry-After` seconds to get its replay. */
        IdempotencyInProgress: {
            headers: {
                /**
                 * @description Seconds to wait before retrying.
                 * @example 1
                 */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 409,
                 *       "code": "idempotency_in_progress",
                 *       "message": "a request with this idempotency key is in progress"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "idempotency_in_progress";
                };
            };
        };
        /** @description The `Idempotency-Key` was already used for a request with another body. */
        IdempotencyKeyReused: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 422,
                 *       "code": "idempotency_key_reused",
                 *       "message": "this idempotency key was used with another request body"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "idempotency_key_reused";
                };
            };
        };
        /** @description Malformed JSON, or the request breaks the schema; `details` names each offending field. */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 400,
                 *       "code": "validation_failed",
                 *       "message": "bad request",
                 *       "details": [
                 *         {
                 *           "field": "age",
                 *           "message": "must be >= 0"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "validation_failed" | "malformed_request";
                };
            };
        };
        /** @description Missing, invalid or expired credentials. */
        Unauthorized: {
            headers: {
                /**
                 * @description The authentication scheme to use.
                 * @example Bearer
                 */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "unauthorized" | "account_disabled";
                };
            };
        };
        /** @description The token is valid but lacks the permission (or the caller is not the owner). */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 403,
                 *       "code": "forbidden",
                 *       "message": "permission not found"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "forbidden";
                };
            };
        };
        /** @description The right password of a disabled account (a wrong one is the ordinary 401). */
        LoginDisabled: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 403,
                 *       "code": "login_disabled",
                 *       "message": "this account is disabled"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "login_disabled";
                };
            };
        };
        /** @description The change would leave no active admin. */
        LastAdmin: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 409,
                 *       "code": "last_admin",
                 *       "message": "the last active admin cannot be disabled, demoted or deleted"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "last_admin";
                };
            };
        };
        /** @description No such resource (or not one the caller may see). */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 404,
                 *       "code": "not_found",
                 *       "message": "resource not found"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "not_found";
                };
            };
        };
        /** @description The request conflicts with the current state. */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "conflict" | "username_taken" | "email_taken" | "last_actor_of_movie";
                };
            };
        };
        /** @description The request body is larger than the server accepts. */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 413,
                 *       "code": "payload_too_large",
                 *       "message": "request body too large"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "payload_too_large";
                };
            };
        };
        /** @description The request body's content type is not one this operation accepts. */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 415,
                 *       "code": "unsupported_media_type",
                 *       "message": "unsupported media type: text/plain"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "unsupported_media_type";
                };
            };
        };
        /** @description Well-formed but impossible (a movie with no actors, an unknown actor or movie id). */
        UnprocessableEntity: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "movie_needs_actor" | "unknown_reference" | "idempotency_key_reused";
                };
            };
        };
        /** @description Rate limited (per client address, or, on a login, the account's backoff after repeated failures); retry after the delay given. */
        TooManyRequests: {
            headers: {
                /**
                 * @description Seconds to wait before retrying.
                 * @example 30
                 */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 429,
                 *       "code": "rate_limited",
                 *       "message": "too many requests, retry in 30 seconds"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "rate_limited";
                };
            };
        };
        /** @description A dependency is down and there is nothing to serve; retry after the delay given. */
        ServiceUnavailable: {
            headers: {
                /**
                 * @description Seconds to wait before retrying.
                 * @example 30
                 */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 503,
                 *       "code": "dependency_unavailable",
                 *       "message": "movie catalogue unavailable"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "dependency_unavailable" | "timed_out";
                };
            };
        };
        /** @description The upstream movie catalogue answered something that is not a catalogue page. */
        BadGateway: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 502,
                 *       "code": "bad_gateway",
                 *       "message": "invalid response from the movie catalogue"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "bad_gateway";
                };
            };
        };
        /** @description A client error raised by the HTTP layer before this route's handler runs (for example 400 for a malformed request). The route itself refuses nothing. */
        ClientError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 400,
                 *       "code": "validation_failed",
                 *       "message": "bad request"
                 *     }
                 */
                "application/json": components["schemas"]["Error"] & {
                    /** @enum {unknown} */
                    code?: "validation_failed" | "malformed_request";
                };
            };
        };
        /** @description Any other error: 405 with an `Allow` header (known path, wrong method), 413, 415, 500 (no internals disclosed), 501 not implemented, 503 with `Retry-After` while the database is unreachable. */
        Error: {
            headers: {
                /**
                 * @description With 405, the methods this path supports.
                 * @example GET, POST
                 */
                Allow?: string;
                /**
                 * @description With 503, seconds to wait before retrying.
                 * @example 5
                 */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "success": false,
                 *       "error": 405,
                 *       "code": "method_not_allowed",
                 *       "message": "method not allowed"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: {
        /**
         * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
         * @example 1
         */
        Id: components["schemas"]["Id"];
        /**
         * @description The collection's uuid.
         * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
         */
        CollectionUuid: string;
        /**
         * @description The catalogue movie's uuid.
         * @example 57baf4f4-c9ef-4197-9e4f-acf04eae5b4d
         */
        MovieUuid: string;
        /**
         * @description The page to return, from 1 (digits only); a page past the end is empty.
         * @example 1
         */
        Page: number;
        /**
         * @description Items per page (digits only).
         * @example 20
         */
        Limit: number;
        /**
         * @description Where the page starts: the opaque value from a previous answer's `Link: <…>; rel="next"`. Clients never build or change one. With a cursor, `page` and `offset` are ignored; `limit` still applies. A cursor stays valid while rows are inserted and deleted: a walk by `rel="next"` returns every row that existed throughout exactly once, in order, and every page costs the same at any depth. A malformed cursor, or one from another list, is 400 `invalid_cursor`.
         * @example WyJhY3RvcnMiLDI4XQ
         */
        Cursor: string;
        /**
         * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
         * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
         */
        IfNoneMatch: string;
        /**
         * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
         * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
         */
        IfMatch: string;
        /**
         * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
         * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
         */
        IdempotencyKey: string;
    };
    requestBodies: never;
    headers: {
        /**
         * @description Where the new resource is read: a path on this server (a relative reference, resolved against the request's URL, so never built from a client-supplied `Host`). A replayed answer carries it too.
         * @example /actors/29
         */
        Location: string;
        /**
         * @description The resource's strong entity tag; it changes whenever the representation does (for a message, whenever its content does: not with its view count).
         * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
         */
        ETag: string;
        /**
         * @description RFC 8288: `rel="next"` with a cursor URL (a relative reference, resolved against the request's URL) when more rows follow, whatever paging the request used; no header on the last page.
         * @example </actors?limit=20&cursor=WyJhY3RvcnMiLDI4XQ>; rel="next"
         */
        Link: string;
        /** @description `true` when this answer is the replay of an earlier request with the same `Idempotency-Key`. */
        "Idempotent-Replayed": "true";
        /**
         * @description The request's id, as logged; the caller's own when it was short and plain.
         * @example 0c4f6a1e-3f1c-4a2b-9d7e-5b8f2a6c1d3e
         */
        XRequestId: string;
        /**
         * @description The W3C trace id of the request's trace, present while the service exports OpenTelemetry traces.
         * @example 4bf92f3577b34da6a3ce929d0e0e4736
         */
        XTraceId: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    registerCollectionsUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "username": "maya",
                 *       "password": "correct-horse-battery"
                 *     }
                 */
                "application/json": components["schemas"]["Credentials"];
            };
        };
        responses: {
            /** @description Registered; tokens for the new user. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJtZW1iZXIiLCJwZXJtaXNzaW9ucyI6W119.c2lnbmF0dXJl",
                     *       "refresh_token": "9f6c1c0e6f2a4d5b8a7e3b1d2c4f6a8b.Zm9vYmFyYmF6cXV4"
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPairLong"];
                };
            };
            400: components["responses"]["BadRequest"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    registerUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterRequest"];
                /**
                 * @example {
                 *       "username": "YourUserName",
                 *       "password": "YourPassword"
                 *     }
                 */
                "application/x-www-form-urlencoded": components["schemas"]["RegisterRequest"];
            };
        };
        responses: {
            /** @description The new user. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 7,
                     *       "username": "YourUserName",
                     *       "email": null,
                     *       "first_name": "",
                     *       "last_name": "",
                     *       "is_staff": false,
                     *       "active": true,
                     *       "role": "member",
                     *       "permissions": [],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:00:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    obtainTokenPair: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "username": "YourUserName",
                 *       "password": "YourPassword"
                 *     }
                 */
                "application/json": components["schemas"]["LoginRequest"];
                /**
                 * @example {
                 *       "username": "YourUserName",
                 *       "password": "YourPassword"
                 *     }
                 */
                "application/x-www-form-urlencoded": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description A new token pair. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3Iiwicm9sZSI6Im1lbWJlciIsInBlcm1pc3Npb25zIjpbXX0.c2lnbmF0dXJl",
                     *       "refresh": "3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a7e.cXV4YmF6YmFyZm9v"
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["LoginDisabled"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    refreshTokenPair: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh": "3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a7e.cXV4YmF6YmFyZm9v"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
                /**
                 * @example {
                 *       "refresh": "3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a7e.cXV4YmF6YmFyZm9v"
                 *     }
                 */
                "application/x-www-form-urlencoded": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description The rotated token pair. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3Iiwicm9sZSI6Im1lbWJlciIsInBlcm1pc3Npb25zIjpbXX0.bmV3c2ln",
                     *       "refresh": "7e3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a.bmV3cmVmcmVzaA"
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    revokeRefreshToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh": "7e3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a.bmV3cmVmcmVzaA"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
                /**
                 * @example {
                 *       "refresh": "7e3b1d2c4f6a8b9f6c1c0e6f2a4d5b8a.bmV3cmVmcmVzaA"
                 *     }
                 */
                "application/x-www-form-urlencoded": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    getCurrentUser: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current user. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 2,
                     *       "username": "test2@test.com",
                     *       "email": "test2@test.com",
                     *       "first_name": "",
                     *       "last_name": "",
                     *       "is_staff": false,
                     *       "active": true,
                     *       "role": "casting_assistant",
                     *       "permissions": [
                     *         "get:actors",
                     *         "get:actor-details",
                     *         "get:movies",
                     *         "get:movie-details"
                     *       ],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:30:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            304: components["responses"]["NotModified"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    createV1User: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "test2@test.com",
                 *       "password": "12345678"
                 *     }
                 */
                "application/json": components["schemas"]["EmailCredentials"];
            };
        };
        responses: {
            /** @description Registered; the new user's id and an access token. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 2,
                     *       "token": "eyJhbGciOiJIUzI1NiIsImV4cCI6MTQxMDk2ODA5NCwiaWF0IjoxNDA5NzU4NDk0fQ.eyJpc19hZG1pbiI6ZmFsc2UsImlkIjoyLCJlbWFpbCI6InRlc3QyQHRlc3QuY29tIn0.goBHisCajafl4a93jfal0sD5pdjeYd5se_a9sEkHs"
                     *     }
                     */
                    "application/json": components["schemas"]["IdToken"];
                };
            };
            400: components["responses"]["BadRequest"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    deleteCurrentUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "password": "correct-horse-battery"
                 *     }
                 */
                "application/json": components["schemas"]["PasswordConfirmation"];
            };
        };
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["LastAdmin"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    changeCredentials: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "current_password": "correct-horse-battery",
                 *       "new_password": "another-long-passphrase"
                 *     }
                 */
                "application/json": components["schemas"]["PasswordChange"];
            };
        };
        responses: {
            /** @description Changed; sign in again with the new password. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    authenticateV1: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "test2@test.com",
                 *       "password": "12345678"
                 *     }
                 */
                "application/json": components["schemas"]["EmailLogin"];
            };
        };
        responses: {
            /** @description Authenticated; the user's id and an access token. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 2,
                     *       "token": "eyJhbGciOiJIUzI1NiIsImV4cCI6MTQxMDk2ODA5NCwiaWF0IjoxNDA5NzU4NDk0fQ.eyJpc19hZG1pbiI6ZmFsc2UsImlkIjoyLCJlbWFpbCI6InRlc3QyQHRlc3QuY29tIn0.goBHisCajafl4a93jfal0sD5pdjeYd5se_a9sEkHs"
                     *     }
                     */
                    "application/json": components["schemas"]["IdToken"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["LoginDisabled"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            default: components["responses"]["Error"];
        };
    };
    listUsers: {
        parameters: {
            query?: {
                /**
                 * @description The page to return, from 1 (digits only); a page past the end is empty.
                 * @example 1
                 */
                page?: components["parameters"]["Page"];
                /**
                 * @description Items per page (digits only).
                 * @example 20
                 */
                limit?: components["parameters"]["Limit"];
                /**
                 * @description Where the page starts: the opaque value from a previous answer's `Link: <…>; rel="next"`. Clients never build or change one. With a cursor, `page` and `offset` are ignored; `limit` still applies. A cursor stays valid while rows are inserted and deleted: a walk by `rel="next"` returns every row that existed throughout exactly once, in order, and every page costs the same at any depth. A malformed cursor, or one from another list, is 400 `invalid_cursor`.
                 * @example WyJhY3RvcnMiLDI4XQ
                 */
                cursor?: components["parameters"]["Cursor"];
                /** @description Only users of this role. */
                role?: components["schemas"]["Role"];
                /** @description Only enabled (`true`) or disabled (`false`) users. */
                active?: boolean;
                /** @description Only usernames that start with this, compared case-insensitively. */
                username_prefix?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of users. */
            200: {
                headers: {
                    Link: components["headers"]["Link"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "users": [
                     *         {
                     *           "id": 1,
                     *           "username": "admin",
                     *           "email": null,
                     *           "first_name": "",
                     *           "last_name": "",
                     *           "is_staff": true,
                     *           "active": true,
                     *           "role": "admin",
                     *           "permissions": [
                     *             "get:actors",
                     *             "get:actor-details",
                     *             "get:movies",
                     *             "get:movie-details",
                     *             "post:actors",
                     *             "del:actors",
                     *             "patch:actor",
                     *             "patch:movie",
                     *             "post:movies",
                     *             "del:movies",
                     *             "manage:users",
                     *             "reset:request-count"
                     *           ],
                     *           "created_at": "2026-11-22T11:00:00Z",
                     *           "updated_at": "2026-11-22T11:00:00Z"
                     *         },
                     *         {
                     *           "id": 2,
                     *           "username": "test2@test.com",
                     *           "email": "test2@test.com",
                     *           "first_name": "",
                     *           "last_name": "",
                     *           "is_staff": false,
                     *           "active": true,
                     *           "role": "member",
                     *           "permissions": [],
                     *           "created_at": "2026-11-22T12:00:00Z",
                     *           "updated_at": "2026-11-22T12:00:00Z"
                     *         }
                     *       ],
                     *       "total_users": 2,
                     *       "page": 1,
                     *       "limit": 20
                     *     }
                     */
                    "application/json": components["schemas"]["UserList"];
                };
            };
            400: components["responses"]["ListBadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            default: components["responses"]["Error"];
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["LastAdmin"];
            default: components["responses"]["Error"];
        };
    };
    updateUserRole: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserUpdate"];
            };
        };
        responses: {
            /** @description The updated user. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 2,
                     *       "username": "test2@test.com",
                     *       "email": "test2@test.com",
                     *       "first_name": "",
                     *       "last_name": "",
                     *       "is_staff": false,
                     *       "active": true,
                     *       "role": "casting_director",
                     *       "permissions": [
                     *         "get:actors",
                     *         "get:actor-details",
                     *         "get:movies",
                     *         "get:movie-details",
                     *         "post:actors",
                     *         "del:actors",
                     *         "patch:actor",
                     *         "patch:movie"
                     *       ],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T13:00:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["LastAdmin"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    listAuditEvents: {
        parameters: {
            query?: {
                /**
                 * @description The page to return, from 1 (digits only); a page past the end is empty.
                 * @example 1
                 */
                page?: components["parameters"]["Page"];
                /**
                 * @description Items per page (digits only).
                 * @example 20
                 */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "events": [
                     *         {
                     *           "id": 12,
                     *           "at": "2026-12-07T12:00:00Z",
                     *           "action": "role_changed",
                     *           "actor_id": 1,
                     *           "actor": "admin",
                     *           "target_id": 2,
                     *           "target": "test2@test.com",
                     *           "request_id": "4f7c1e2a-9b3d-4c5e-8f6a-1b2c3d4e5f60",
                     *           "address": "203.0.113.7",
                     *           "before": {
                     *             "role": "member"
                     *           },
                     *           "after": {
                     *             "role": "casting_director"
                     *           }
                     *         }
                     *       ],
                     *       "total_events": 1,
                     *       "page": 1,
                     *       "limit": 20
                     *     }
                     */
                    "application/json": components["schemas"]["AuditList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            default: components["responses"]["Error"];
        };
    };
    listActors: {
        parameters: {
            query?: {
                /**
                 * @description The page to return, from 1 (digits only); a page past the end is empty.
                 * @example 1
                 */
                page?: components["parameters"]["Page"];
                /**
                 * @description Items per page (digits only).
                 * @example 20
                 */
                limit?: components["parameters"]["Limit"];
                /**
                 * @description Where the page starts: the opaque value from a previous answer's `Link: <…>; rel="next"`. Clients never build or change one. With a cursor, `page` and `offset` are ignored; `limit` still applies. A cursor stays valid while rows are inserted and deleted: a walk by `rel="next"` returns every row that existed throughout exactly once, in order, and every page costs the same at any depth. A malformed cursor, or one from another list, is 400 `invalid_cursor`.
                 * @example WyJhY3RvcnMiLDI4XQ
                 */
                cursor?: components["parameters"]["Cursor"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of actors; `total_actors` counts all of them. */
            200: {
                headers: {
                    Link: components["headers"]["Link"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "actors": [
                     *         {
                     *           "id": 27,
                     *           "name": "Peter",
                     *           "age": 23,
                     *           "gender": "M",
                     *           "movies_id": [
                     *             10
                     *           ]
                     *         },
                     *         {
                     *           "id": 28,
                     *           "name": "Martin",
                     *           "age": 24,
                     *           "gender": "M",
                     *           "movies_id": []
                     *         }
                     *       ],
                     *       "total_actors": 2
                     *     }
                     */
                    "application/json": components["schemas"]["ActorList"];
                };
            };
            400: components["responses"]["ListBadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            default: components["responses"]["Error"];
        };
    };
    createActor: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
                 * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ActorCreate"];
            };
        };
        responses: {
            /** @description Created; the new actor with its movies. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    Location: components["headers"]["Location"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "actor_id": 29,
                     *       "actor": {
                     *         "id": 29,
                     *         "name": "Mangus",
                     *         "age": 38,
                     *         "gender": "M",
                     *         "movies_id": [
                     *           10
                     *         ],
                     *         "movies": [
                     *           {
                     *             "id": 10,
                     *             "title": "Genesis",
                     *             "release_date": "2020-03-30"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ActorWritten"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["IdempotencyInProgress"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            default: components["responses"]["Error"];
        };
    };
    getActor: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The actor. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "actor": {
                     *         "id": 27,
                     *         "name": "Peter",
                     *         "age": 23,
                     *         "gender": "M",
                     *         "movies_id": [
                     *           10
                     *         ],
                     *         "movies": [
                     *           {
                     *             "id": 10,
                     *             "title": "Genesis",
                     *             "release_date": "2020-03-30"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ActorResponse"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    deleteActor: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; `deleted` and `actor_id` are the deleted actor's id, `actor` the record as it was. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "deleted": 28,
                     *       "actor_id": 28,
                     *       "actor": {
                     *         "id": 28,
                     *         "name": "Martin",
                     *         "age": 24,
                     *         "gender": "M",
                     *         "movies_id": [],
                     *         "movies": []
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ActorDeleted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["Error"];
        };
    };
    updateActor: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ActorUpdate"];
            };
        };
        responses: {
            /** @description The updated actor. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "actor_id": 29,
                     *       "actor": {
                     *         "id": 29,
                     *         "name": "Mangus",
                     *         "age": 30,
                     *         "gender": "M",
                     *         "movies_id": [
                     *           10
                     *         ],
                     *         "movies": [
                     *           {
                     *             "id": 10,
                     *             "title": "Genesis",
                     *             "release_date": "2020-03-30"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ActorWritten"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            default: components["responses"]["Error"];
        };
    };
    getActorDetails: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The actor. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "actor": {
                     *         "id": 27,
                     *         "name": "Peter",
                     *         "age": 23,
                     *         "gender": "M",
                     *         "movies_id": [
                     *           10
                     *         ],
                     *         "movies": [
                     *           {
                     *             "id": 10,
                     *             "title": "Genesis",
                     *             "release_date": "2020-03-30"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ActorResponse"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    listMovies: {
        parameters: {
            query?: {
                /**
                 * @description The page to return, from 1 (digits only); a page past the end is empty.
                 * @example 1
                 */
                page?: components["parameters"]["Page"];
                /**
                 * @description Items per page (digits only).
                 * @example 20
                 */
                limit?: components["parameters"]["Limit"];
                /**
                 * @description Where the page starts: the opaque value from a previous answer's `Link: <…>; rel="next"`. Clients never build or change one. With a cursor, `page` and `offset` are ignored; `limit` still applies. A cursor stays valid while rows are inserted and deleted: a walk by `rel="next"` returns every row that existed throughout exactly once, in order, and every page costs the same at any depth. A malformed cursor, or one from another list, is 400 `invalid_cursor`.
                 * @example WyJhY3RvcnMiLDI4XQ
                 */
                cursor?: components["parameters"]["Cursor"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of movies; `total_movies` counts all of them. */
            200: {
                headers: {
                    Link: components["headers"]["Link"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "movies": [
                     *         {
                     *           "id": 10,
                     *           "title": "Genesis",
                     *           "release_date": "2020-03-30",
                     *           "date_release": "20200330",
                     *           "actors_id": [
                     *             27
                     *           ]
                     *         }
                     *       ],
                     *       "total_movies": 1
                     *     }
                     */
                    "application/json": components["schemas"]["MovieList"];
                };
            };
            400: components["responses"]["ListBadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            default: components["responses"]["Error"];
        };
    };
    createMovie: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
                 * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MovieCreate"];
            };
        };
        responses: {
            /** @description Created; the new movie with its actors. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    Location: components["headers"]["Location"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "movie_id": 11,
                     *       "movie": {
                     *         "id": 11,
                     *         "title": "Genesis II",
                     *         "release_date": "2020-04-03",
                     *         "date_release": "20200403",
                     *         "actors_id": [
                     *           29
                     *         ],
                     *         "actors": [
                     *           {
                     *             "id": 29,
                     *             "name": "Mangus",
                     *             "age": 38,
                     *             "gender": "M"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["MovieWritten"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["IdempotencyInProgress"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            default: components["responses"]["Error"];
        };
    };
    getMovie: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The movie. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "movie": {
                     *         "id": 10,
                     *         "title": "Genesis",
                     *         "release_date": "2020-03-30",
                     *         "date_release": "20200330",
                     *         "actors_id": [
                     *           27
                     *         ],
                     *         "actors": [
                     *           {
                     *             "id": 27,
                     *             "name": "Peter",
                     *             "age": 23,
                     *             "gender": "M"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["MovieResponse"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    deleteMovie: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; `deleted` and `movie_id` are the deleted movie's id, `movie` the record as it was. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "deleted": 14,
                     *       "movie_id": 14,
                     *       "movie": {
                     *         "id": 14,
                     *         "title": "Ainda estou aqui",
                     *         "release_date": "2025-02-08",
                     *         "date_release": "20250208",
                     *         "actors_id": [
                     *           29
                     *         ],
                     *         "actors": [
                     *           {
                     *             "id": 29,
                     *             "name": "Fernanda Torres",
                     *             "age": 59,
                     *             "gender": "F"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["MovieDeleted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["Error"];
        };
    };
    updateMovie: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MovieUpdate"];
            };
        };
        responses: {
            /** @description The updated movie. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "movie_id": 11,
                     *       "movie": {
                     *         "id": 11,
                     *         "title": "Genesis II",
                     *         "release_date": "2020-04-12",
                     *         "date_release": "20200412",
                     *         "actors_id": [
                     *           29
                     *         ],
                     *         "actors": [
                     *           {
                     *             "id": 29,
                     *             "name": "Mangus",
                     *             "age": 38,
                     *             "gender": "M"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["MovieWritten"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            default: components["responses"]["Error"];
        };
    };
    getMovieDetails: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The movie. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": true,
                     *       "movie": {
                     *         "id": 12,
                     *         "title": "Lost in Translation",
                     *         "release_date": "2015-02-10",
                     *         "date_release": "20150210",
                     *         "actors_id": [
                     *           1,
                     *           3
                     *         ],
                     *         "actors": [
                     *           {
                     *             "id": 1,
                     *             "name": "Scarlett Johansson",
                     *             "age": 40,
                     *             "gender": "F"
                     *           },
                     *           {
                     *             "id": 3,
                     *             "name": "Bill Murray",
                     *             "age": 75,
                     *             "gender": "M"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["MovieResponse"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    listCatalogMovies: {
        parameters: {
            query?: {
                /**
                 * @description The page to return, from 1 (digits only); a page past the end is empty.
                 * @example 1
                 */
                page?: components["parameters"]["Page"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of the catalogue. */
            200: {
                headers: {
                    /** @description `true` when the page is the last good copy because the upstream failed; absent when the page is fresh. */
                    "X-Catalog-Stale"?: "true";
                    /** @description With `X-Catalog-Stale`, how old the copy is, in seconds. */
                    Age?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "count": 45466,
                     *       "next": "http://localhost:3000/catalog/movies?page=3",
                     *       "previous": "http://localhost:3000/catalog/movies?page=1",
                     *       "data": [
                     *         {
                     *           "title": "Queerama",
                     *           "description": "50 years after decriminalisation of homosexuality in the UK, director Daisy Asquith mines the jewels of the BFI archive.",
                     *           "genres": "",
                     *           "uuid": "57baf4f4-c9ef-4197-9e4f-acf04eae5b4d"
                     *         },
                     *         {
                     *           "title": "Satana likuyushchiy",
                     *           "description": "In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.",
                     *           "genres": "Drama,Comedy",
                     *           "uuid": "2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a"
                     *         },
                     *         {
                     *           "title": "Late Bloomers",
                     *           "description": null,
                     *           "genres": null,
                     *           "uuid": "6c8e5b5a-5b1c-4c8a-9d3b-2f0e1a7c9d11"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["CatalogPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            502: components["responses"]["BadGateway"];
            503: components["responses"]["ServiceUnavailable"];
            default: components["responses"]["Error"];
        };
    };
    listCollections: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller's collections. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    "X-Trace-Id": components["headers"]["XTraceId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "is_success": true,
                     *       "data": {
                     *         "collections": [
                     *           {
                     *             "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                     *             "title": "Sunday afternoons",
                     *             "description": "Films for a slow Sunday."
                     *           },
                     *           {
                     *             "uuid": "9b2e7c1a-4d3f-4e5a-8b6c-7d8e9f0a1b2c",
                     *             "title": "To watch",
                     *             "description": null
                     *           }
                     *         ],
                     *         "favourite_genres": "Drama, Comedy, Action"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CollectionList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            default: components["responses"]["Error"];
        };
    };
    createCollection: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
                 * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Sunday afternoons",
                 *       "description": "Films for a slow Sunday.",
                 *       "movies": [
                 *         {
                 *           "title": "Satana likuyushchiy",
                 *           "description": "In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.",
                 *           "genres": "Drama,Comedy",
                 *           "uuid": "2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["CollectionCreate"];
            };
        };
        responses: {
            /** @description Created; the new collection's uuid. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "collection_uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6"
                     *     }
                     */
                    "application/json": components["schemas"]["CollectionCreated"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["IdempotencyInProgress"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["IdempotencyKeyReused"];
            default: components["responses"]["Error"];
        };
    };
    getCollection: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The collection. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                     *       "title": "Sunday afternoons",
                     *       "description": "Films for a slow Sunday.",
                     *       "movies": [
                     *         {
                     *           "title": "Satana likuyushchiy",
                     *           "description": "In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.",
                     *           "genres": "Drama,Comedy",
                     *           "uuid": "2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a"
                     *         }
                     *       ],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:00:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    updateCollection: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CollectionUpdate"];
            };
        };
        responses: {
            /** @description The updated collection. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                     *       "title": "Rainy Sundays",
                     *       "description": "Films for a slow Sunday.",
                     *       "movies": [
                     *         {
                     *           "title": "Satana likuyushchiy",
                     *           "description": "In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.",
                     *           "genres": "Drama,Comedy",
                     *           "uuid": "2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a"
                     *         }
                     *       ],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:10:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    deleteCollection: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["Error"];
        };
    };
    addCollectionMovie: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
                 * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Queerama",
                 *       "description": "50 years after decriminalisation of homosexuality in the UK, director Daisy Asquith mines the jewels of the BFI archive.",
                 *       "genres": "",
                 *       "uuid": "57baf4f4-c9ef-4197-9e4f-acf04eae5b4d"
                 *     }
                 */
                "application/json": components["schemas"]["CatalogMovieInput"];
            };
        };
        responses: {
            /** @description Added; the collection with its movies. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                     *       "title": "Sunday afternoons",
                     *       "description": "Films for a slow Sunday.",
                     *       "movies": [
                     *         {
                     *           "title": "Satana likuyushchiy",
                     *           "description": "In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.",
                     *           "genres": "Drama,Comedy",
                     *           "uuid": "2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a"
                     *         },
                     *         {
                     *           "title": "Queerama",
                     *           "description": "50 years after decriminalisation of homosexuality in the UK, director Daisy Asquith mines the jewels of the BFI archive.",
                     *           "genres": "",
                     *           "uuid": "57baf4f4-c9ef-4197-9e4f-acf04eae5b4d"
                     *         }
                     *       ],
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:20:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["IdempotencyInProgress"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["IdempotencyKeyReused"];
            default: components["responses"]["Error"];
        };
    };
    removeCollectionMovie: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The collection's uuid.
                 * @example 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f
                 */
                uuid: components["parameters"]["CollectionUuid"];
                /**
                 * @description The catalogue movie's uuid.
                 * @example 57baf4f4-c9ef-4197-9e4f-acf04eae5b4d
                 */
                movie_uuid: components["parameters"]["MovieUuid"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    getRequestCount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The count. */
            200: {
                headers: {
                    /** @description `true` when Redis is unreachable and the figure is this process's best knowledge; absent otherwise. */
                    "X-Request-Count-Partial"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "requests": 3001
                     *     }
                     */
                    "application/json": components["schemas"]["RequestCount"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    resetRequestCount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Reset. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "message": "request count reset successfully"
                     *     }
                     */
                    "application/json": components["schemas"]["RequestCountReset"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["ServiceUnavailable"];
            default: components["responses"]["Error"];
        };
    };
    listMessages: {
        parameters: {
            query?: {
                /** @description How many messages to return. */
                limit?: number;
                /** @description How many messages to skip (at most the largest message id). */
                offset?: number;
                /**
                 * @description Where the page starts: the opaque value from a previous answer's `Link: <…>; rel="next"`. Clients never build or change one. With a cursor, `page` and `offset` are ignored; `limit` still applies. A cursor stays valid while rows are inserted and deleted: a walk by `rel="next"` returns every row that existed throughout exactly once, in order, and every page costs the same at any depth. A malformed cursor, or one from another list, is 400 `invalid_cursor`.
                 * @example WyJhY3RvcnMiLDI4XQ
                 */
                cursor?: components["parameters"]["Cursor"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The messages. */
            200: {
                headers: {
                    /** @description How many messages exist in total. */
                    "X-Total-Count"?: number;
                    /**
                     * @description RFC 8288 links to the `next` and `prev` pages, only those that exist (no header when neither does). Targets are relative references, resolved against the request's URL. `next` is always a cursor URL (`/api/messages?limit=…&cursor=…`), whether the request paged by `offset` or by `cursor`; `prev` (`/api/messages?limit=…&offset=…`) is given for offset pages only. Past the end, `prev` is the last page.
                     * @example </api/messages?limit=100&cursor=WyJtZXNzYWdlcyIsIjIwMjYtMTEtMjJUMTI6MDU6MDAuMDAwMDAwWiIsMl0>; rel="next", </api/messages?limit=100&offset=0>; rel="prev"
                     */
                    Link?: string;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example [
                     *       {
                     *         "id": 2,
                     *         "content": "updated content",
                     *         "views": 0,
                     *         "created_at": "2026-11-22T12:05:00Z",
                     *         "updated_at": "2026-11-22T12:07:00Z",
                     *         "author": {
                     *           "id": 7,
                     *           "username": "YourUserName"
                     *         }
                     *       },
                     *       {
                     *         "id": 1,
                     *         "content": "message content",
                     *         "views": 12,
                     *         "created_at": "2026-11-22T12:00:00Z",
                     *         "updated_at": "2026-11-22T12:00:00Z",
                     *         "author": {
                     *           "id": 7,
                     *           "username": "YourUserName"
                     *         }
                     *       }
                     *     ]
                     */
                    "application/json": components["schemas"]["Message"][];
                };
            };
            400: components["responses"]["ListBadRequest"];
            default: components["responses"]["Error"];
        };
    };
    createMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1–255 visible ASCII characters (no spaces) chosen by the client (a UUID is usual), scoped to the user and this operation. A repeat with the same key and the same body within `IDEMPOTENCY_TTL_SECONDS` (default 24 h) creates nothing and replays the first answer, status, body, `Location` and `ETag`, with `Idempotent-Replayed: true` (the same fields in another order are the same body); the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_in_progress` with `Retry-After`. Keys live in PostgreSQL, so this holds across processes and restarts; expired keys are purged. Only answers below 500 are kept, so a failed attempt may be retried with the same key.
                 * @example 0b6c7d3e-5f41-4b8e-9c2a-7e1f3d5a9b10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "message content"
                 *     }
                 */
                "application/json": components["schemas"]["MessageInput"];
            };
        };
        responses: {
            /** @description The new message. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    Location: components["headers"]["Location"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 1,
                     *       "content": "message content",
                     *       "views": 0,
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:00:00Z",
                     *       "author": {
                     *         "id": 7,
                     *         "username": "YourUserName"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Message"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["IdempotencyInProgress"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["IdempotencyKeyReused"];
            default: components["responses"]["Error"];
        };
    };
    getMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description An entity tag from an earlier `ETag` (or `*`): when it still matches, the answer is 304 with no body.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message, with `views` already incremented. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 1,
                     *       "content": "message content",
                     *       "views": 13,
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:00:00Z",
                     *       "author": {
                     *         "id": 7,
                     *         "username": "YourUserName"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Message"];
                };
            };
            304: components["responses"]["NotModified"];
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
    replaceMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "updated content"
                 *     }
                 */
                "application/json": components["schemas"]["MessageInput"];
            };
        };
        responses: {
            /** @description The updated message, with 0 views. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 1,
                     *       "content": "updated content",
                     *       "views": 0,
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:07:00Z",
                     *       "author": {
                     *         "id": 7,
                     *         "username": "YourUserName"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Message"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    deleteMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["Error"];
        };
    };
    updateMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Change only if the resource's current entity tag is one of these (or `*`: it exists). Otherwise 412 `precondition_failed` and nothing changes. The check and the write happen in one transaction, so of two writes sent with the same tag exactly one succeeds. Without the header the request behaves as it always has.
                 * @example "pJ1o0Xq2Jd9tXDsn5B7yQw"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The resource's numeric id: a decimal integer from 1 to 2147483647, written as digits only. `+1`, ` 1`, `01`, `1e0`, `0x1` and `Infinity` are a 400 (they never match a row).
                 * @example 1
                 */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "updated content"
                 *     }
                 */
                "application/json": components["schemas"]["MessageInput"];
            };
        };
        responses: {
            /** @description The updated message, with 0 views. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": 1,
                     *       "content": "updated content",
                     *       "views": 0,
                     *       "created_at": "2026-11-22T12:00:00Z",
                     *       "updated_at": "2026-11-22T12:07:00Z",
                     *       "author": {
                     *         "id": 7,
                     *         "username": "YourUserName"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Message"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            default: components["responses"]["Error"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is up. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getReady: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            /** @description A dependency is down; `details` names it. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "error": 503,
                     *       "code": "dependency_unavailable",
                     *       "message": "service not ready",
                     *       "details": [
                     *         {
                     *           "field": "redis",
                     *           "message": "unreachable"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getDocs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The documentation page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /** @example <!doctype html><html><head><title>Marquee API</title></head><body><div id="swagger-ui"></div></body></html> */
                    "text/html": string;
                };
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getRoot: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Found; go to `/docs`. */
            302: {
                headers: {
                    /** @description Where the documentation is. */
                    Location?: "/docs";
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getOpenApiYaml: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example openapi: 3.1.0
                     *     info:
                     *       title: Marquee API
                     *       version: 1.0.0
                     */
                    "application/yaml": string;
                };
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getOpenApiJson: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "openapi": "3.1.0",
                     *       "info": {
                     *         "title": "Marquee API",
                     *         "version": "1.0.0"
                     *       },
                     *       "paths": {}
                     *     }
                     */
                    "application/json": Record<string, never>;
                };
            };
            "4XX": components["responses"]["ClientError"];
            default: components["responses"]["Error"];
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The metrics. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP http_request_duration_seconds Request duration by route and status.
                     *     # TYPE http_request_duration_seconds histogram
                     *     http_request_duration_seconds_bucket{route="/health",status_code="200",le="0.005"} 42
                     *     http_request_duration_seconds_count{route="/health",status_code="200"} 42
                     */
                    "text/plain": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            default: components["responses"]["Error"];
        };
    };
}
