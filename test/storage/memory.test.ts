// The store contract against the in-memory backend.

import { MemoryStore } from '../../src/storage/memory.js';
import { storeContract } from './contract.js';

storeContract('memory', async () => new MemoryStore());
