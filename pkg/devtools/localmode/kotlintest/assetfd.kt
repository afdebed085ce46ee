// AssetFileDescriptor stub (see android.kt).
package android.content.res

import java.io.Closeable

class AssetFileDescriptor(val length: Long) : Closeable {
    override fun close() {}

    companion object {
        const val UNKNOWN_LENGTH = -1L
    }
}
