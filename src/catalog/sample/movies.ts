/** The fake catalogue's movies and its one seeded random source: the same seed gives the same run. */

export interface FakeMovie {
  title: string;
  description: string | null;
  genres: string | null;
  uuid: string;
}

/** mulberry32: small, fast and good enough to make failures look random yet repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GENRES = [
  'Action',
  'Adventure',
  'Animation',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Family',
  'Fantasy',
  'History',
  'Horror',
  'Music',
  'Mystery',
  'Romance',
  'Science Fiction',
  'Thriller',
  'War',
  'Western',
];
const ADJECTIVES = ['Silent', 'Last', 'Red', 'Hidden', 'Broken', 'Golden', 'Long', 'Lost', 'Wild', 'Quiet'];
const NOUNS = [
  'River',
  'Summer',
  'Garden',
  'Station',
  'Letter',
  'Harbour',
  'Mountain',
  'Promise',
  'Night',
  'Road',
];
const PLACES = [
  'Lisbon',
  'a small town',
  'the north',
  'Odessa',
  'a lighthouse',
  'Kyoto',
  'the desert',
  'Glasgow',
];

export function generateMovies(count: number, seed: number): FakeMovie[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  const movies: FakeMovie[] = [];
  for (let i = 0; i < count; i++) {
    const title = `The ${pick(ADJECTIVES)} ${pick(NOUNS)}${i >= 100 ? ` ${Math.floor(i / 100) + 1}` : ''}`;
    const roll = random();
    let genres: string | null;
    if (roll < 0.05) genres = null;
    else if (roll < 0.12) genres = '';
    else {
      const chosen = new Set<string>();
      const wanted = 1 + Math.floor(random() * 3);
      while (chosen.size < wanted) chosen.add(pick(GENRES));
      genres = [...chosen].join(random() < 0.2 ? ', ' : ',');
    }
    movies.push({
      title,
      description:
        random() < 0.08
          ? null
          : `A story set in ${pick(PLACES)}, ${pick(['told slowly', 'in one night', 'across forty years', 'without words'])}.`,
      genres,
      uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`,
    });
  }
  return movies;
}
