/** The type a value of each format is stored as, and the spellings a validator might take but PostgreSQL not. */
export const FORMAT_SPELLINGS: Record<string, { type: string; spellings: string[] }> = {
  uuid: {
    type: 'uuid',
    spellings: [
      '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '6F1C2D3E-4B5A-4C6D-8E7F-1A2B3C4D5E6F',
      'urn:uuid:6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      'URN:UUID:6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '{6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f}',
      '6f1c2d3e4b5a4c6d8e7f1a2b3c4d5e6f',
      '6f1c-2d3e-4b5a-4c6d-8e7f-1a2b-3c4d-5e6f',
      '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6g',
      ' 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '00000000-0000-0000-0000-000000000000',
    ],
  },
  'date-time': {
    type: 'timestamptz',
    spellings: [
      '2020-03-30T12:00:00Z',
      '2020-03-30t12:00:00z',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '2020-12-31T23:59:60Z',
      '2020-02-30T00:00:00Z',
      '2020-03-30T12:00:00+14:00',
      '2020-03-30T12:00:00-23:59',
      '2020-03-30T12:00:00+15:59',
      '2020-03-30T12:00:00+16:00',
      '2020-03-30 12:00:00Z',
    ],
  },
  date: { type: 'date', spellings: ['2020-03-30', '0000-01-01', '0001-01-01', '2021-02-29', '2020-3-30', '20200330'] },
  // Both date formats are stored as `date`; DMY reads DD-MM-YYYY as the format means it.
  'calendar-date': {
    type: 'date',
    spellings: ['2020-03-30', '30-03-2020', '01-02-2020', '0000-01-01', '0001-01-01', '9999-12-31', '2020-02-29', '2021-02-29', '2020-3-30'],
  },
  'compact-date': {
    type: 'date',
    spellings: ['20200330', '00000101', '00010101', '99991231', '20210229', '2020033', '+20200330'],
  },
  // Stored as text: anything well-formed is storable; the spellings show that the validator stays narrower.
  email: { type: 'text', spellings: ['a@b.co', 'A@B.CO', 'a@localhost', '"a b"@x.co', 'a@[127.0.0.1]', 'ü@x.co'] },
  uri: { type: 'text', spellings: ['https://example.com/x?page=2', 'http://[::1]/', 'not a uri', 'file:///etc/passwd'] },
};
