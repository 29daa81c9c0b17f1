// Every sign-in provider, registered by one line.
import type { Provider } from '../identities.js';
import { github } from './github.js';
import { google } from './google.js';
import type { OAuthProvider } from './provider.js';

export const oauthProviders: Readonly<Record<Provider, OAuthProvider>> = { google, github };
