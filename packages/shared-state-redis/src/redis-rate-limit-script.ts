/**
 * One token bucket per endpoint for every replica, in a Redis hash (`t` tokens, `r` requests, `at`
 * the last update in ms of the server's clock, so replicas' clocks do not matter). Refilled by the
 * elapsed time at every call, atomically, since a script runs alone.
 *
 * KEYS[1]: the bucket. ARGV: operation (`acquire`, `refund` or `lower`), tokens per minute (0: not
 * limited), requests per minute (0: not limited), request burst, tokens, requests (-1: unknown, for
 * `lower`). Returns `{granted (1/0), wait ms}`.
 *
 * `acquire` takes both amounts, or nothing and the wait until both fit; like the local buckets, an
 * amount above the capacity waits for a full bucket and may take the level below zero.
 * `refund` adds tokens back (a negative amount takes more). `lower` lowers the levels to what the
 * endpoint says is left. Idle buckets expire: after two minutes they would be full anyway.
 */
export const rateLimitScript = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local operation = ARGV[1]
local tpm = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local tokens = tonumber(ARGV[5])
local requests = tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[1], 't', 'r', 'at')
local elapsed = math.max(0, now - (tonumber(state[3]) or now))
local t = nil
local r = nil
if tpm > 0 then t = math.min(tpm, (tonumber(state[1]) or tpm) + elapsed * tpm / 60000) end
if rpm > 0 then r = math.min(burst, (tonumber(state[2]) or burst) + elapsed * rpm / 60000) end
local wait = 0
if operation == 'acquire' then
  if t then
    local needed = math.min(tokens, tpm)
    if t < needed then wait = math.max(wait, math.ceil((needed - t) * 60000 / tpm)) end
  end
  if r then
    local needed = math.min(requests, burst)
    if r < needed then wait = math.max(wait, math.ceil((needed - r) * 60000 / rpm)) end
  end
  if wait == 0 then
    if t then t = t - tokens end
    if r then r = r - requests end
  end
elseif operation == 'refund' then
  if t then t = math.min(tpm, t + tokens) end
elseif operation == 'lower' then
  if t and tokens >= 0 then t = math.min(t, tokens) end
  if r and requests >= 0 then r = math.min(r, requests) end
end
local fields = { 'at', tostring(now) }
if t then
  fields[#fields + 1] = 't'
  fields[#fields + 1] = tostring(t)
end
if r then
  fields[#fields + 1] = 'r'
  fields[#fields + 1] = tostring(r)
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], 120000)
if wait == 0 then return { 1, 0 } end
return { 0, wait }
`;
