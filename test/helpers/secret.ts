/** The JWT secret of every test app and test server: tokens signed in a test are accepted by both. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
