// The few Android classes README.md's Kotlin snippet uses, stubbed for the
// JVM as narrowly as the snippet needs them: a content:// URI, and a
// ContentResolver that serves one file with the type and length Android's
// would report. Not Android: only the calls' shapes are Android's.
package android.net

class Uri private constructor(private val s: String) {
    override fun toString() = s

    companion object {
        @JvmStatic
        fun parse(s: String) = Uri(s)
    }
}
