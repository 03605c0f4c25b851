// The request counter's Lua scripts: each runs atomically in Redis.

// The epoch (KEYS[2]) names the count's history: it changes on every reset, and a missing one means the history
// is gone (Redis restarted without persistence, or the very first start), so it is recreated as ARGV[2]. Every
// answer carries it, and answers arrive in the order Redis ran the commands: each process knows which side of a
// reset, or of a loss, each of its increments fell on.
const EPOCH = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
end
`;

/** Live increments (ARGV[1]): counted whatever the epoch, since they happened just now. */
export const INCREMENT = `${EPOCH}
return {epoch, redis.call('INCRBY', KEYS[1], ARGV[1])}
`;

/**
 * Buffered and restored increments (ARGV[1]), only while the epoch is the one the process knows (ARGV[3]);
 * otherwise nothing is added and the process learns the new epoch first, to sort its backlog against it.
 */
export const HAND_OVER = `${EPOCH}
if epoch ~= ARGV[3] then return {epoch, -1} end
return {epoch, redis.call('INCRBY', KEYS[1], ARGV[1])}
`;

export const RESET = `
redis.call('SET', KEYS[1], 0)
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;
