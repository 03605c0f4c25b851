import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createCastingHandlers(_deps: AppDeps) {
  return notImplemented([
    'listActors',
    'createActor',
    'getActor',
    'getActorDetails',
    'updateActor',
    'deleteActor',
    'listMovies',
    'createMovie',
    'getMovie',
    'getMovieDetails',
    'updateMovie',
    'deleteMovie',
  ]);
}
