// Checks a GitHub App's JSON Web Token the way GitHub does: RS256 over
// header.payload with the app's key, `iss` the app id, `iat`/`exp` integers with
// exp in the future and at most ten minutes after iat. Returns null when the token
// is good, else GitHub's message.
'use strict';
const crypto = require('crypto');

function part(text) {
  try { return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')); } catch (e) { return null; }
}

function verifyJwt(token, app) {
  const parts = token.split('.');
  const undecodable = 'A JSON web token could not be decoded';
  if (parts.length !== 3) return undecodable;
  const header = part(parts[0]);
  const claims = part(parts[1]);
  if (!header || !claims) return undecodable;
  if (header.alg !== 'RS256') return `'alg' must be RS256, got ${JSON.stringify(header.alg)}`;
  const signed = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`),
    app.publicKey, Buffer.from(parts[2], 'base64url'));
  if (!signed) return undecodable;
  const now = Math.floor(Date.now() / 1000);
  if (String(claims.iss) !== String(app.id)) return `'Issuer' claim ('iss') must be the app id ${app.id}`;
  if (!Number.isInteger(claims.iat) || claims.iat > now + 60) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  }
  if (!Number.isInteger(claims.exp) || claims.exp <= now) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  }
  if (claims.exp - claims.iat > 600 || claims.exp > now + 660) return "'Expiration time' claim ('exp') is too far in the future";
  return null;
}

module.exports = { verifyJwt };
