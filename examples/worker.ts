import { toWorker } from '../adapters/cloudflare.ts'
import { app } from './app.ts'

export default toWorker(app)
